// A connection `canEdit` refuses edits from: the provider's edit was refused
// (`auth/forbidden`) and nobody heard it, so a reader's document went its
// own way in silence (a walkthrough, 2026-11-27). `onRefused` hears it now.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider } from "../../src/yjs/index.js";
import { note } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });

describe("a read-only connection's edit", () => {
	it("is refused, heard by onRefused, and leaves the document as it was", async () => {
		await using t = await setupTest(registry);
		const writerDoc = new Y.Doc();
		const writer = new TenonYjsProvider(
			writerDoc,
			t.client.note.getOrCreate("n", { params: { user: "ada" } }).connect(),
		);
		await writer.whenSynced();
		writerDoc.getText("text").insert(0, "hello");
		await writer.flushed();

		const readerDoc = new Y.Doc();
		const refused: unknown[] = [];
		const reader = new TenonYjsProvider(
			readerDoc,
			t.client.note.getOrCreate("n", { params: { user: "guest" } }).connect(),
			{ onRefused: (error) => refused.push(error) },
		);
		await reader.whenSynced();
		expect(readerDoc.getText("text").toString()).toBe("hello");
		await reader.flushed();
		readerDoc.getText("text").insert(5, " world");
		await reader.flushed();
		expect(refused).toEqual([expect.objectContaining({ group: "auth", code: "forbidden" })]);
		expect(await t.client.note.getOrCreate("n").text()).toBe("hello");
		reader.destroy();
		writer.destroy();
	});
});
