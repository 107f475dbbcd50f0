import { UserError } from "tenon";
import { type TokenParams, verifyToken } from "../auth/tokens.js";

/**
 * What both example agents share about who may talk to them: one
 * conversation per user (the actor's key is the user id), opened only with
 * that user's signed token; the requester of a turn is the verified user of
 * the connection that sent the prompt; secrets are redacted; prompts are
 * rate limited.
 */
export const ownConversation = {
	onBeforeConnect: (c: { key: readonly string[] }, params: TokenParams) => {
		if (verifyToken(params?.token).userId !== c.key[0])
			throw new UserError("This conversation belongs to another user", { code: "forbidden" });
	},
	createConnState: (_c: unknown, params: TokenParams) => ({
		userId: verifyToken(params.token).userId,
	}),
	identify: (conn: { state: { userId: string } }) => ({ id: conn.state.userId }),
	// Secrets the model and the page must never see.
	redact: { secrets: [process.env.EXAMPLES_AUTH_SECRET, process.env.TENON_MODEL_API_KEY] },
	rateLimit: { prompts: 10, windowMs: 60_000 },
};
