// An agent's lifecycle hooks: `agentActor` took only the connect hooks, so a conversation
// could not greet its user, set a cron job when created, or see connections come and go
// (a walkthrough as an Agents SDK user, 2026-11-28: its agents have onStart and onConnect).
import { expect, expectTypeOf, it } from "vitest";
import { addAssistantMessage, agentActor } from "../../src/agent/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { says, scripted } from "./scripted-model.js";

it("runs the app's lifecycle hooks with the agent's context", async () => {
	const calls: string[] = [];
	const greeter = agentActor({
		model: scripted(() => says("ok")),
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		onCreate: async (c) => {
			calls.push(`create ${c.key[0]}`);
			await addAssistantMessage(c, `Hello ${c.key[0]}, how can I help?`);
		},
		onWake: () => {
			calls.push("wake");
		},
		onSleep: () => {
			calls.push("sleep");
		},
		onDestroy: () => {
			calls.push("destroy");
		},
		onConnect: (_c, conn) => {
			expectTypeOf(conn.state).toEqualTypeOf<{ user: string }>();
			calls.push(`connect ${conn.state.user}`);
		},
		onDisconnect: (_c, conn) => {
			calls.push(`disconnect ${conn.state.user}`);
		},
		actions: { end: (c) => c.destroy() },
	});
	await using t = await setupTest(setup({ use: { greeter }, logLevel: "silent" }));
	const conn = t.client.greeter.getOrCreate(["ann"], { params: { user: "ann" } }).connect();
	await expect
		.poll(async () => (await conn.history()).map((m) => [m.role, m.content]))
		.toEqual([["assistant", "Hello ann, how can I help?"]]);
	expect(calls).toEqual(["create ann", "wake", "connect ann"]);
	await conn.dispose();
	await expect.poll(() => calls.at(-1)).toBe("disconnect ann");

	await t.restart();
	const again = t.client.greeter.getOrCreate(["ann"], { params: { user: "ann" } });
	expect((await again.history()).length).toBe(1);
	expect(calls.slice(3)).toEqual(["disconnect ann", "sleep", "wake"]);
	await again.end();
	await expect.poll(() => calls.at(-1)).toBe("destroy");
});
