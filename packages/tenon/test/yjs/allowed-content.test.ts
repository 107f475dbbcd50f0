// A plain-text editor's binding (y-codemirror.next) given an embed loops forever: a guest's
// `insertEmbed` was stored, and froze every reader of the document at every load (an attacker
// probe, 2026-11-29). `allowedContent` refuses updates holding other kinds of content.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";
import { note, stateOf, updateMessage } from "./fixtures.js";

const plain = yjsActor({
	allowedContent: ["text"],
	actions: { text: (c) => c.vars.document.text() },
});
// A carriage return put CodeMirror's binding (CR LF: one line break) out of step with the
// document for every reader: their edits landed in the wrong place (an attacker probe, 2026-11-29).
const lines = yjsActor({
	allowedContent: ["text"],
	controlCharacters: "refuse",
	actions: { text: (c) => c.vars.document.text() },
});
const registry = setup({ use: { plain, note, lines }, logLevel: "silent" });

/** An update message of a new document changed by `change`. */
function changeOf(change: (doc: Y.Doc) => void): Uint8Array {
	const doc = new Y.Doc();
	change(doc);
	return updateMessage(Y.encodeStateAsUpdate(doc));
}

describe("allowedContent", () => {
	it("refuses an update holding content the document does not take, and nothing of it applies", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.plain.getOrCreate("p");
		await handle.yjsSync(changeOf((doc) => doc.getText("text").insert(0, "hello")));
		const hostile = [
			(doc: Y.Doc) => {
				doc.getText("text").insert(0, "a");
				doc.getText("text").insertEmbed(1, { img: "x" });
			},
			(doc: Y.Doc) => doc.getText("text").insert(0, "b", { bold: true }),
			(doc: Y.Doc) => doc.getMap("m").set("k", 1),
			(doc: Y.Doc) => doc.getMap("m").set("k", new Uint8Array([1])),
			(doc: Y.Doc) => doc.getArray("a").insert(0, [new Y.Text("nested")]),
		];
		for (const change of hostile)
			await expect(handle.yjsSync(changeOf(change))).rejects.toMatchObject({
				group: "request",
				code: "yjs_content_not_allowed",
				metadata: { allowed: ["text"] },
			});
		expect(await handle.text()).toBe("hello");
		const stored = new Y.Doc();
		Y.applyUpdate(stored, await stateOf(handle));
		expect(stored.getText("text").toDelta()).toEqual([{ insert: "hello" }]);
		expect(stored.share.has("m")).toBe(false);
	});

	it("takes text and deletions from a provider, and tells it of a refused embed", async () => {
		await using t = await setupTest(registry);
		const doc = new Y.Doc();
		const refused: unknown[] = [];
		const provider = new TenonYjsProvider(doc, t.client.plain.getOrCreate("q").connect(), {
			onRefused: (error) => refused.push(error),
		});
		await provider.whenSynced();
		doc.getText("text").insert(0, "hello world");
		doc.getText("text").delete(5, 6);
		await provider.flushed();
		expect(await t.client.plain.getOrCreate("q").text()).toBe("hello");
		doc.getText("text").insertEmbed(0, { img: "x" });
		await provider.flushed();
		expect(refused).toEqual([
			expect.objectContaining({ group: "request", code: "yjs_content_not_allowed" }),
		]);
		expect(await t.client.plain.getOrCreate("q").text()).toBe("hello");
		provider.destroy();
	});

	it("takes every kind by default", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("n", { params: { user: "ada" } });
		await handle.yjsSync(changeOf((doc) => doc.getText("text").insertEmbed(0, { img: "x" })));
		const stored = new Y.Doc();
		Y.applyUpdate(stored, await stateOf(handle));
		expect(stored.getText("text").toDelta()).toEqual([{ insert: { img: "x" } }]);
	});

	it("refuses an unknown kind when the actor is defined", () => {
		// @ts-expect-error not a kind of content
		expect(() => yjsActor({ allowedContent: ["pictures"] })).toThrow(/unknown allowedContent/);
	});
});

describe("controlCharacters: refuse", () => {
	it("refuses text holding a control character but tab and line feed, and nothing of it applies", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.lines.getOrCreate("l");
		await handle.yjsSync(changeOf((doc) => doc.getText("text").insert(0, "one\n\ttwo")));
		for (const text of ["a\r\nb", "\r", "bell\u0007", "nul\u0000", "esc\u001b[31m", "del\u007f"])
			await expect(
				handle.yjsSync(changeOf((doc) => doc.getText("text").insert(0, text))),
			).rejects.toMatchObject({ group: "request", code: "yjs_content_not_allowed" });
		expect(await handle.text()).toBe("one\n\ttwo");
		// Other characters are text: accents, emoji, a line separator.
		await handle.yjsSync(changeOf((doc) => doc.getText("text").insert(0, "é😀\u2028")));
		// And by default they are taken, as before.
		const loose = t.client.plain.getOrCreate("loose");
		await loose.yjsSync(changeOf((doc) => doc.getText("text").insert(0, "a\r\nb")));
		expect(await loose.text()).toBe("a\r\nb");
	});
});
