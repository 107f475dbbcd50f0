import { yjsActor } from "tenon/yjs";
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
		verifyToken(tokenOf(c.params));
	},
	onBeforeConnect: (c, params: TokenParams) => {
		checkResuming(c.resuming, verifyToken(params?.token));
	},
	createConnState: (_c, params: TokenParams) => {
		const { userId, roles } = verifyToken(params.token);
		return { userId, canEdit: !roles.includes("viewer") };
	},
	canEdit: (c) => c.conn.state.canEdit,
	// The name by each cursor is the signed-in user's, whatever the page says.
	awarenessUser: (conn) => ({ name: conn.state.userId }),
	actions: {
		/** The document's text, for a quick look (who may connect may read). */
		text: (c) => c.vars.document.text(),
	},
	options: { sleepTimeout: 30_000 },
});
