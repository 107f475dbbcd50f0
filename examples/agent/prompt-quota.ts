import { actor, UserError } from "tenon";
import { requireOwner, type TokenParams } from "../auth/tokens.js";

/** Prompts one user may send per window, over all their agent conversations. */
export const USER_PROMPT_LIMIT = { prompts: 30, windowMs: 60_000 };

/**
 * The prompts a user sent lately over all their agent conversations: each
 * conversation limits only itself (`rateLimit`), and a user can open as many
 * conversations as they like, so without this one user could spread a flood
 * of model calls over many of them. One actor per user, keyed by the user id
 * and opened only with that user's token, which a conversation issues on the
 * server for the verified requester of a prompt (see own-conversation.ts).
 */
export const promptQuota = actor({
	state: { windowStart: 0, count: 0 },
	onBeforeCreate: (c) => {
		requireOwner(c.key, c.params);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireOwner(c.key, params);
	},
	actions: {
		/** Counts one prompt, or refuses it (`user/rate_limited`) when the window's share is used. */
		take: (c) => {
			const now = Date.now();
			if (now - c.state.windowStart >= USER_PROMPT_LIMIT.windowMs) {
				c.state.windowStart = now;
				c.state.count = 0;
			}
			if (c.state.count >= USER_PROMPT_LIMIT.prompts)
				throw new UserError("Too many prompts over your conversations; try again later", {
					code: "rate_limited",
					metadata: {
						retryAfterMs: c.state.windowStart + USER_PROMPT_LIMIT.windowMs - now,
					},
				});
			c.state.count++;
		},
	},
});
