// Types flow from yjsActor to clients, also when it is written inline in a
// registry (where the registry's contextual type once made it all `any`).
import { describe, expectTypeOf, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { setup } from "../../src/index.js";
import { type YjsConnection, yjsActor } from "../../src/yjs/index.js";

const inline = setup({ use: { note: yjsActor() } });
const configured = setup({
	use: {
		note: yjsActor({
			createConnState: (_c, params: { user: string }) => ({ user: params.user }),
			canEdit: (c) => c.conn.state.user !== "guest",
			actions: { text: (c) => c.vars.document.text() },
		}),
	},
});

describe("yjs types", () => {
	it("an inline yjsActor() gives a connection the provider takes", () => {
		const client = createClient<typeof inline>({ endpoint: "http://localhost" });
		const conn = client.note.getOrCreate("doc").connect();
		expectTypeOf(conn).toExtend<YjsConnection>();
		expectTypeOf(conn.yjsSync).returns.toEqualTypeOf<Promise<Uint8Array[]>>();
	});

	it("a configured yjsActor keeps its params, conn state and actions", () => {
		const client = createClient<typeof configured>({ endpoint: "http://localhost" });
		const conn = client.note.getOrCreate("doc", { params: { user: "ada" } }).connect();
		expectTypeOf(conn).toExtend<YjsConnection>();
		expectTypeOf(conn.text).returns.toEqualTypeOf<Promise<string>>();
		// @ts-expect-error: params are typed
		client.note.getOrCreate("doc", { params: { user: 1 } });
	});
});
