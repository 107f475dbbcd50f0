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
});
