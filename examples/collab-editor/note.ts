import { UserError } from "tenon";
import { yjsActor } from "tenon/yjs";
import { spendCreation } from "../auth/creations.js";
import { checkResuming, type TokenParams, tokenOf, verifyToken } from "../auth/tokens.js";

/**
 * A collaborative note, one actor per document: it holds the document's Yjs
 * state (tenon/yjs), merges everyone's edits, stores each one before it is
 * acknowledged, and passes on cursors (awareness) under the name of the
 * connection's user. Signed-in users edit; the `viewer` role may only read.
 */
export const note = yjsActor({
	// Only signed-in users make (store) notes: a creation opens no connection, so the
	// connect hooks alone would let anyone store notes by the thousand.
	onBeforeCreate: (c) => {
		spendCreation(verifyToken(tokenOf(c.params)));
	},
	onBeforeConnect: (c, params: TokenParams) => {
		const identity = verifyToken(params?.token);
		checkResuming(c.resuming, identity);
		// A resumed connection keeps the state it was made with: edit rights taken away since go
		// (they stayed before 2026-11-27, a walkthrough; the board example did this already).
		const resumed = c.resuming?.state as { canEdit?: boolean } | undefined;
		if (resumed?.canEdit === true && identity.roles.includes("viewer"))
			throw new UserError("Forbidden: this note is read-only for you now", { code: "forbidden" });
	},
	createConnState: (_c, params: TokenParams) => {
		const { userId, roles } = verifyToken(params.token);
		return { userId, canEdit: !roles.includes("viewer") };
	},
	canEdit: (c) => c.conn.state.canEdit,
	// The name by each cursor is the signed-in user's, whatever the page says.
	awarenessUser: (conn) => ({ name: conn.state.userId }),
	// A plain-text note: its editor's binding cannot show embeds, marks or other types (an
	// embed froze every reader's page at each load), so updates holding them are refused.
	allowedContent: ["text"],
	// Nor control characters: a CR LF put every reader's editor out of step with the text
	// (CodeMirror counts it as one line break), their edits landing in the wrong place.
	controlCharacters: "refuse",
	actions: {
		/** The document's text, for a quick look (who may connect may read). */
		text: (c) => c.vars.document.text(),
	},
	options: { sleepTimeout: 30_000 },
});
