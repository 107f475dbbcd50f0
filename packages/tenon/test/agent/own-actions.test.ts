// An agent with actions of an app's own beside its built-in ones (users of
// Cloudflare's Agents SDK add methods to their agent; `agentActor` took none:
// a docs walkthrough, 2026-11-28).
import { expect, it } from "vitest";
import { z } from "zod";
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

// Actions of an app's own took arguments unchecked: an agent had no `actionInputSchemas`
// (noted 2026-11-28). They are checked before the action runs, as an actor's are.
it("checks an own action's arguments with its schema", async () => {
	const titled = agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		actions: {
			title: async (c, title: string) => {
				await c.db.execute("CREATE TABLE IF NOT EXISTS titles (t TEXT)");
				await c.db.execute("INSERT INTO titles (t) VALUES (?)", title);
				return title.length;
			},
		},
		actionInputSchemas: { title: z.tuple([z.string().min(1).max(10)]) },
	});
	await using t = await setupTest(setup({ use: { titled }, logLevel: "silent" }));
	const conn = t.client.titled.getOrCreate(["ann"], { params: { user: "ann" } }).connect();
	expect(await conn.title("short")).toBe(5);
	await expect(conn.title("x".repeat(11))).rejects.toMatchObject({ code: "invalid_args" });
	await expect(
		(conn as unknown as { title(v: unknown): Promise<number> }).title(5),
	).rejects.toMatchObject({
		code: "invalid_args",
	});
	await conn.dispose();
	expect(() =>
		agentActor({
			model,
			identify: () => null,
			actions: { mine: () => 1 },
			actionInputSchemas: { prompt: z.tuple([z.string()]) } as never,
		}),
	).toThrow(/names no action of yours/);
});
