import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
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
});
