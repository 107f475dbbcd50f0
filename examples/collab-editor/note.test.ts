import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { TenonYjsProvider } from "tenon/yjs";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { issueToken } from "../auth/tokens.js";
import { note } from "./note.js";

const registry = setup({ use: { note }, logLevel: "silent" });
const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

describe("collaborative note example", () => {
	// A review (2026-11-26) stored notes with no token at all through `POST /actors`:
	// only the connect hooks checked one, and a creation opens no connection.
	it("stores a note only for a signed-in user (anonymous creation is refused)", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.note.create(["spam"])).rejects.toMatchObject({
			code: "unauthorized",
		});
		await expect(t.client.note.get(["spam"]).resolve()).rejects.toMatchObject({
			code: "not_found",
		});
		const welcome = await t.client.note.create(["welcome"], as("ann"));
		expect(await welcome.text()).toBe("");
		await expect(t.client.note.get(["welcome"]).text()).rejects.toMatchObject({
			code: "unauthorized",
		});
	});

	// A resumed connection kept the edit rights it was made with, after its user became a
	// viewer (a walkthrough, 2026-11-27).
	it("takes edit rights away from a resumed connection whose user became a viewer", async () => {
		await using t = await setupTest(registry);
		let roles: string[] = [];
		const errors: unknown[] = [];
		const conn = t.client.note
			.getOrCreate(["draft"], {
				getParams: async () => ({ token: issueToken({ userId: "ann", roles }) }),
			})
			.connect();
		conn.onError((error) => errors.push(error));
		expect(await conn.text()).toBe("");
		roles = ["viewer"];
		await t.restart();
		// The client resumes its connection with the viewer's token: refused.
		await expect
			.poll(() => errors.map((error) => (error as { code?: string }).code))
			.toContain("forbidden");
		await expect(conn.text()).rejects.toMatchObject({ group: "user", code: "forbidden" });
		await conn.dispose();
		// A new connection as a viewer is fine (it may read).
		const viewer = t.client.note.getOrCreate(["draft"], as("ann")).connect();
		expect(await viewer.text()).toBe("");
		await viewer.dispose();
	});

	// A guest's `insertEmbed` was stored, and the editor page's binding looped forever on it,
	// for every reader, at every load (an attacker probe, 2026-11-29).
	it("takes plain text only: an embed, a mark or a map value is refused, the text stays", async () => {
		await using t = await setupTest(registry);
		const doc = new Y.Doc();
		const refused: unknown[] = [];
		const provider = new TenonYjsProvider(
			doc,
			t.client.note.getOrCreate(["n"], as("eve")).connect(),
			{
				onRefused: (error) => refused.push(error),
			},
		);
		await provider.whenSynced();
		doc.getText("text").insert(0, "hello");
		await provider.flushed();
		doc.getText("text").insertEmbed(5, { img: "x" });
		await provider.flushed();
		expect(refused).toEqual([
			expect.objectContaining({ group: "request", code: "yjs_content_not_allowed" }),
		]);
		provider.destroy();
		for (const change of [
			(other: Y.Doc) => other.getText("text").format(0, 1, { bold: true }),
			(other: Y.Doc) => other.getMap("meta").set("x", 1),
			// A CR LF put every reader's editor out of step with the text (an attacker probe,
			// 2026-11-29): control characters are refused too.
			(other: Y.Doc) => other.getText("text").insert(5, "\r\nsecond line"),
		]) {
			const other = new Y.Doc();
			const sent = new TenonYjsProvider(
				other,
				t.client.note.getOrCreate(["n"], as("eve")).connect(),
				{
					onRefused: (error) => refused.push(error),
				},
			);
			await sent.whenSynced();
			change(other);
			await sent.flushed();
			sent.destroy();
		}
		expect(refused).toHaveLength(4);
		expect(await t.client.note.getOrCreate(["n"], as("ann")).text()).toBe("hello");
	});
});
