// yjsActor takes onBeforeCreate, as every actor does: a document's creation opens no
// connection, so with the connect hooks alone anyone could store documents (the examples'
// note had to rebuild the actor to add one; a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import { setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";

const note = yjsActor({
	onBeforeCreate: (c) => {
		if ((c.params as { token?: string } | undefined)?.token !== "signed-in")
			throw new UserError("sign in first", { code: "unauthorized" });
	},
});
const registry = setup({ use: { note }, logLevel: "silent" });

describe("yjsActor's onBeforeCreate", () => {
	it("refuses a creation it does not allow, and allows the others", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.note.create(["anonymous"])).rejects.toMatchObject({
			code: "unauthorized",
		});
		const created = await t.client.note.create(["mine"], { params: { token: "signed-in" } });
		expect(await created.resolve()).toMatch(/.+/);
		await expect(t.client.note.get(["anonymous"]).resolve()).rejects.toMatchObject({
			group: "actor",
			code: "not_found",
		});
	});
});
