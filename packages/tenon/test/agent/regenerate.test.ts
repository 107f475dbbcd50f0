// Writing the last answer again (the AI SDK's `regenerate()`, the Agents SDK's `reload`): an
// agent had no way to (a note, 2026-11-29). The old answer's messages go, the model reads the
// prompt once, every chat shows the new answer in its place; only the prompt's author may (the
// agent's `canRegenerate`), and not while a turn runs, prompts wait, or nothing was asked.
import { expect, it } from "vitest";
import { agentActor } from "../../src/agent/index.js";
import { AgentChat } from "../../src/client/agent-chat.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { says, scripted, turnsOf } from "./scripted-model.js";

function agents(model: ReturnType<typeof scripted>, admitPrompt?: () => Promise<void>) {
	return {
		agent: agentActor({
			model,
			createConnState: (_c: unknown, params: { user: string }) => ({ user: String(params.user) }),
			identify: (conn: { state: { user: string } }) => ({ id: conn.state.user }),
			...(admitPrompt === undefined ? {} : { admitPrompt }),
		}),
	};
}

it("replaces the last answer for every chat, and the model reads the prompt once", async () => {
	const model = scripted((call) => says(`answer ${call}`));
	await using t = await setupTest(setup({ use: agents(model), logLevel: "silent" }));
	const ann = t.client.agent.getOrCreate(["talk"], { params: { user: "ann" } }).connect();
	const bob = t.client.agent.getOrCreate(["talk"], { params: { user: "bob" } }).connect();
	const annChat = new AgentChat(ann);
	const bobChat = new AgentChat(bob);
	const turns = turnsOf(ann);
	await expect(annChat.regenerate()).rejects.toMatchObject({
		group: "agent",
		code: "nothing_to_regenerate",
	});
	await turns.ended((await annChat.send("one")).turnId);
	await expect.poll(() => bobChat.view.messages.map((m) => m.content)).toEqual(["one", "answer 1"]);

	// Bob did not write the prompt.
	await expect(bobChat.regenerate()).rejects.toMatchObject({ group: "auth", code: "forbidden" });
	const { turnId } = await annChat.regenerate();
	expect(await turns.ended(turnId)).toMatchObject({ status: "done" });
	for (const chat of [annChat, bobChat])
		await expect.poll(() => chat.view.messages.map((m) => m.content)).toEqual(["one", "answer 2"]);
	expect((await bob.history()).map((m) => m.content)).toEqual(["one", "answer 2"]);
	expect(model.requests[1]?.messages.map((m) => [m.role, m.content])).toEqual([["user", "one"]]);

	// Again, and the conversation goes on from the new answer; a chat opened now sees the same.
	await turns.ended((await annChat.regenerate()).turnId);
	await turns.ended((await annChat.send("two")).turnId);
	const late = new AgentChat(bob);
	for (const chat of [annChat, bobChat, late])
		await expect
			.poll(() => chat.view.messages.map((m) => m.content))
			.toEqual(["one", "answer 3", "two", "answer 4"]);
	for (const chat of [annChat, bobChat, late]) chat.close();
	await ann.dispose();
	await bob.dispose();
});

it("is refused while one is admitted, and ends as stale when a prompt got in before it", async () => {
	let hold: Promise<void> | undefined;
	let held = false;
	let release = () => {};
	const model = scripted((call) => says(`answer ${call}`));
	// Holds the regeneration's admission (the first one made while `hold` is set).
	const admitPrompt = async () => {
		const waiting = hold;
		hold = undefined;
		if (waiting !== undefined) held = true;
		await waiting;
	};
	await using t = await setupTest(setup({ use: agents(model, admitPrompt), logLevel: "silent" }));
	const ann = t.client.agent.getOrCreate(["stale"], { params: { user: "ann" } }).connect();
	const turns = turnsOf(ann);
	await turns.ended((await ann.prompt("one")).turnId);

	hold = new Promise<void>((resolve) => (release = resolve));
	const regenerating = ann.regenerate();
	await expect.poll(() => held).toBe(true);
	// While the regeneration is admitted, another of it is refused.
	await expect(ann.regenerate()).rejects.toMatchObject({ group: "agent", code: "busy" });
	// A prompt admitted meanwhile is queued first, and runs first.
	const two = await ann.prompt("two");
	release();
	const { turnId } = await regenerating;
	await turns.ended(two.turnId);
	expect(await turns.ended(turnId)).toMatchObject({
		status: "failed",
		error: { group: "agent", code: "regenerate_stale" },
	});
	expect((await ann.history()).map((m) => m.content)).toEqual([
		"one",
		"answer 1",
		"two",
		"answer 2",
	]);
	expect(model.calls).toBe(2);
	await ann.dispose();
});
