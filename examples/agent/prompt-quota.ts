import { actor, UserError } from "tenon";
import { requireOwner, type TokenParams } from "../auth/tokens.js";

/**
 * Prompts one user may send over all their agent conversations: a burst of
 * `prompts`, then `prompts` per `windowMs` (one every 2 s), however they
 * time them. A fixed window would let twice the burst through across its edge.
 */
export const USER_PROMPT_LIMIT = { prompts: 30, windowMs: 60_000 };
const REFILL_MS = USER_PROMPT_LIMIT.windowMs / USER_PROMPT_LIMIT.prompts;

/**
 * The prompts a user sent lately over all their agent conversations: each
 * conversation limits only itself (`rateLimit`), and a user can open as many
 * conversations as they like, so without this one user could spread a flood
 * of model calls over many of them. One actor per user, keyed by the user id
 * and opened only with that user's token, which a conversation issues on the
 * server for the verified requester of a prompt (see own-conversation.ts).
 */
export const promptQuota = actor({
	// A token bucket: `tokens` prompts left at `at` (ms), regained one per REFILL_MS.
	state: { tokens: USER_PROMPT_LIMIT.prompts, at: 0 },
	onBeforeCreate: (c) => {
		requireOwner(c.key, c.params);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireOwner(c.key, params);
	},
	actions: {
		/** Counts one prompt, or refuses it (`user/rate_limited`) when the user's share is used. */
		take: (c) => {
			const now = Date.now();
			const tokens = Math.min(
				USER_PROMPT_LIMIT.prompts,
				c.state.tokens + Math.max(0, now - c.state.at) / REFILL_MS,
			);
			if (tokens < 1)
				throw new UserError("Too many prompts over your conversations; try again later", {
					code: "rate_limited",
					metadata: { retryAfterMs: Math.ceil((1 - tokens) * REFILL_MS) },
				});
			c.state.tokens = tokens - 1;
			c.state.at = now;
		},
	},
});
