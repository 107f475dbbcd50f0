import { setup } from "../../src/index.js";
import { yjsActor } from "../../src/yjs/index.js";

/** A shared note: anyone connected may read it; only non-guests may edit it. */
export const note = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	canEdit: (c) => c.conn.state.user !== "guest",
	compactEvery: 50,
	actions: {
		text: (c) => c.vars.document.text(),
		/** The stored keys of the document (snapshot chunks and logged updates). */
		storedKeys: async (c) =>
			(await c.kv.list("yjs/", { keyType: "text", type: "binary" })).map(([key]) => key),
	},
	options: { sleepTimeout: 1_000 },
});

export const yjsRegistry = setup({ use: { note } });
