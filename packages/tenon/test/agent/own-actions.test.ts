// An agent with actions of an app's own beside its built-in ones (users of
// Cloudflare's Agents SDK add methods to their agent; `agentActor` took none:
// a docs walkthrough, 2026-11-28).
import { expect, it } from "vitest";
import { agentActor, type ChatModel } from "../../src/agent/index.js";
import { setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const model: ChatModel = {
	async *stream() {
		yield { type: "text", delta: "ok" };
		yield { type: "done", finishReason: "stop" };
	},
};

const notes = agentActor({
	model,
	createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn) => ({ id: conn.state.user }),
	actions: {
		/** How many messages the transcript holds, for its own user only. */
		count: async (c) => {
			if (c.conn.state.user !== c.key[0]) throw new UserError("not yours", { code: "forbidden" });
			const [row] = await c.db.execute<{ n: number }>(
				"SELECT count(*) AS n FROM tenon_agent_messages",
			);
			return row?.n ?? 0;
		},
	},
});

it("serves the app's actions beside the agent's, with the agent's context", async () => {
	await using t = await setupTest(setup({ use: { notes }, logLevel: "silent" }));
	const conn = t.client.notes.getOrCreate(["ann"], { params: { user: "ann" } }).connect();
	expect(await conn.count()).toBe(0);
	const { turnId } = await conn.prompt("hello");
	await expect.poll(async () => (await conn.history()).length).toBe(2);
	expect(turnId).toBeTypeOf("string");
	expect(await conn.count()).toBe(2);
	const eve = t.client.notes.getOrCreate(["ann"], { params: { user: "eve" } });
	await expect(eve.count()).rejects.toMatchObject({ code: "forbidden" });
	await conn.dispose();
});

it("refuses an action named like one of the agent's, and names no action can have", () => {
	for (const name of ["prompt", "history", "then"])
		expect(() =>
			agentActor({
				model,
				identify: () => null,
				actions: { [name]: () => 1 },
			}),
		).toThrow();
});
