// A connection `canEdit` refuses edits from: the provider's edit was refused
// (`auth/forbidden`) and nobody heard it, so a reader's document went its
// own way in silence (a walkthrough, 2026-11-27). `onRefused` hears it now.
// A reader's answer to the server's step 1 holds its copy's whole delete
// set (Yjs appends it to every update): it changes nothing and is not
// refused, or `onRefused` would fire on every sync of a document with a
// deletion (a review).
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider } from "../../src/yjs/index.js";
import { note } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });

describe("a read-only connection", () => {
	for (const deleted of [false, true]) {
		it(`syncs unrefused, and its edit is refused and heard (a document ${deleted ? "with" : "without"} deletions)`, async () => {
			await using t = await setupTest(registry);
			const writerDoc = new Y.Doc();
			const writer = new TenonYjsProvider(
				writerDoc,
				t.client.note.getOrCreate("n", { params: { user: "ada" } }).connect(),
			);
			await writer.whenSynced();
			writerDoc.getText("text").insert(0, deleted ? "xhello" : "hello");
			if (deleted) writerDoc.getText("text").delete(0, 1);
			await writer.flushed();

			const readerDoc = new Y.Doc();
			const refused: unknown[] = [];
			const reader = new TenonYjsProvider(
				readerDoc,
				t.client.note.getOrCreate("n", { params: { user: "guest" } }).connect(),
				{ onRefused: (error) => refused.push(error) },
			);
			await reader.whenSynced();
			await reader.flushed();
			expect(readerDoc.getText("text").toString()).toBe("hello");
			expect(refused).toEqual([]);
			// A deletion is an edit too: refused, though it adds no struct.
			readerDoc.getText("text").delete(0, 1);
			await reader.flushed();
			expect(refused).toEqual([expect.objectContaining({ group: "auth", code: "forbidden" })]);
			readerDoc.getText("text").insert(4, " world");
			await reader.flushed();
			expect(refused).toHaveLength(2);
			expect(await t.client.note.getOrCreate("n").text()).toBe("hello");
			reader.destroy();
			writer.destroy();
		});
	}
});
