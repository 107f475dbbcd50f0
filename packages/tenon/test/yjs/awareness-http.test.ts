import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { rawAwareness, updateMessage } from "./fixtures.js";

const note = yjsActor({ actions: { text: (c) => c.vars.document.text() } });
const registry = setup({ use: { note }, logLevel: "silent" });

function insertAs(client: number, text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.clientID = client;
	doc.getText("text").insert(0, text);
	return Y.encodeStateAsUpdate(doc);
}

async function outcomeOf(call: () => Promise<unknown>): Promise<string> {
	try {
		await call();
		return "ok";
	} catch (error) {
		return (error as { code?: string }).code ?? String(error);
	}
}

describe("awareness over HTTP", () => {
	it("is refused, and leaves the client that owns the id free to announce and edit", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("aw-http");
		// An HTTP call (no connection) tries to announce client 555: refused.
		await expect(handle.yjsAwareness(rawAwareness([[555, 1, "null"]]))).rejects.toMatchObject({
			group: "request",
			code: "invalid_yjs_message",
		});
		// The HTTP call is over. The genuine client 555 connects.
		const conn = handle.connect();
		const announce = await outcomeOf(() =>
			conn.yjsAwareness(rawAwareness([[555, 3, JSON.stringify({ user: "me" })]])),
		);
		const edit = await outcomeOf(() => conn.yjsSync(updateMessage(insertAs(555, "hello"))));
		await conn.dispose();
		expect({ announce, edit }).toEqual({ announce: "ok", edit: "ok" });
	}, 20_000);
});
