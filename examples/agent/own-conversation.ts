import { UserError } from "tenon";
import type { Requester } from "tenon/agent";
import { spendCreation } from "../auth/creations.js";
import {
	type Identity,
	issueToken,
	type TokenParams,
	tokenOf,
	verifyToken,
} from "../auth/tokens.js";
import type { registry } from "../registry.js";

/** What a conversation's hooks use of its context (`c.client()` calls another actor). */
interface ConversationContext {
	client<R>(): import("tenon/client").Client<R>;
}

/** A conversation is keyed `[userId, conversationId]`; only that user's token opens or makes it. */
function requireConversationOwner(key: readonly string[], token: unknown): Identity {
	const identity = verifyToken(token);
	if (key.length !== 2 || identity.userId !== key[0])
		throw new UserError("This conversation belongs to another user", { code: "forbidden" });
	return identity;
}

/**
 * What both example agents share about who may talk to them: a user's
 * conversations are keyed `[userId, conversationId]` and opened only with
 * that user's signed token; the requester of a turn is the verified user of
 * the connection that sent the prompt; secrets are redacted; prompts are
 * rate limited per conversation and, over all of a user's conversations,
 * by the user's prompt quota (prompt-quota.ts).
 */
export const ownConversation = {
	// Nobody creates (stores) a conversation under another user's key, nor opens one.
	onBeforeCreate: (c: { key: readonly string[]; params: unknown }) => {
		spendCreation(requireConversationOwner(c.key, tokenOf(c.params)));
	},
	onBeforeConnect: (c: { key: readonly string[] }, params: TokenParams) => {
		requireConversationOwner(c.key, params?.token);
	},
	createConnState: (_c: unknown, params: TokenParams) => ({
		userId: verifyToken(params.token).userId,
	}),
	identify: (conn: { state: { userId: string } }) => ({ id: conn.state.userId }),
	// Only the conversation's owner may delete its transcript (no one may by default).
	canClear: (requester: Requester, [owner]: readonly string[]) => requester.id === owner,
	// Secrets the model and the page must never see.
	redact: { secrets: [process.env.EXAMPLES_AUTH_SECRET, process.env.TENON_MODEL_API_KEY] },
	rateLimit: { prompts: 10, windowMs: 60_000 },
	/** The user's share over all their conversations (a token issued here, for the verified requester). */
	admitPrompt: async (c: ConversationContext, requester: Requester) => {
		const token = issueToken({ userId: requester.id, roles: [] }, 60_000);
		await c
			.client<typeof registry>()
			.promptQuota.getOrCreate(requester.id, { params: { token } })
			.take();
	},
};
