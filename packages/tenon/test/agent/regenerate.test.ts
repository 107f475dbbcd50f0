// Writing the last answer again (the AI SDK's `regenerate()`, the Agents SDK's `reload`): an
// agent had no way to (a note, 2026-11-29). The old answer's messages go, the model reads the
// prompt once, every chat shows the new answer in its place; only the prompt's author may (the
// agent's `canRegenerate`), and not while a turn runs, prompts wait, or nothing was asked.
import { expect, it } from "vitest";
import {
	type AgentMessage,
	type AgentSharedState,
	addAssistantMessage,
	agentActor,
} from "../../src/agent/index.js";
import { AgentChat, type AgentConnection } from "../../src/client/agent-chat.js";
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
			actions: { notify: (c, text: string) => addAssistantMessage(c, text) },
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

it("keeps a note server code added after the answer (addAssistantMessage): it is not the model's", async () => {
	// A review, 2026-11-29: everything after the prompt went, an acknowledged note with it.
	const model = scripted((call) => says(`answer ${call}`));
	await using t = await setupTest(setup({ use: agents(model), logLevel: "silent" }));
	const ann = t.client.agent.getOrCreate(["notes"], { params: { user: "ann" } }).connect();
	const chat = new AgentChat(ann);
	const turns = turnsOf(ann);
	await turns.ended((await ann.prompt("one")).turnId);
	await ann.notify("Your order shipped.");
	await expect.poll(async () => (await ann.history()).length).toBe(3);
	await turns.ended((await ann.regenerate()).turnId);
	const contents = ["one", "Your order shipped.", "answer 2"];
	expect((await ann.history()).map((m) => m.content)).toEqual(contents);
	await expect.poll(() => chat.view.messages.map((m) => m.content)).toEqual(contents);
	chat.close();
	await ann.dispose();
});

it("a chat that was away for two regenerations drops both old answers, though its page is short", async () => {
	// A review, 2026-11-29: the shared state held the latest removal only, and a page of the
	// newest two messages did not reach the first one.
	const message = (seq: number, turnId: string, role: "user" | "assistant", content: string) =>
		({
			seq,
			id: `${turnId}.${seq}`,
			turnId,
			role,
			content,
			status: "complete",
			author: null,
			toolCalls: null,
			toolCallId: null,
			toolName: null,
			createdAt: 0,
		}) as AgentMessage;
	let transcript = [
		message(1, "t1", "user", "one"),
		message(2, "t1", "assistant", "answer 1"),
		message(3, "t2", "user", "two"),
		message(4, "t2", "assistant", "answer 2"),
	];
	const shared = (removed: AgentSharedState["removed"]): AgentSharedState => ({
		turn: null,
		queued: [],
		pending: null,
		last: null,
		clearedThrough: 0,
		removed,
	});
	let onShared: (state: AgentSharedState) => void = () => {};
	let onOpen: () => void = () => {};
	const connection = {
		prompt: async () => ({ turnId: "", messageId: "" }),
		stop: async () => false,
		confirm: async () => {},
		history: async (options?: { before?: number; limit?: number }) =>
			transcript
				.filter((m) => options?.before === undefined || m.seq < options.before)
				.slice(-(options?.limit ?? 100)),
		live: async () => null,
		on: () => () => {},
		onOpen: (callback: () => void) => {
			onOpen = callback;
			return () => {};
		},
		sharedState: undefined,
		onSharedState: (callback: (state: AgentSharedState) => void) => {
			onShared = callback;
			return () => {};
		},
	} as unknown as AgentConnection;
	const chat = new AgentChat(connection, { historyLimit: 2 });
	await expect.poll(() => chat.view.messages.length).toBe(2);
	expect(await chat.loadOlder()).toBe(2);
	expect(chat.view.messages.map((m) => m.content)).toEqual(["one", "answer 1", "two", "answer 2"]);
	// Away: "answer 1" regenerated as "answer 5", then "answer 2"... as the last two removals say.
	transcript = [
		message(1, "t1", "user", "one"),
		message(3, "t2", "user", "two"),
		message(6, "t3", "assistant", "answer 3"),
		message(7, "t4", "assistant", "answer 4"),
	];
	onShared(
		shared([
			{ after: 1, through: 2, turnIds: ["t1"] },
			{ after: 3, through: 5, turnIds: ["t2"] },
		]),
	);
	onOpen();
	await expect
		.poll(() => chat.view.messages.map((m) => m.content))
		.toEqual(["one", "two", "answer 3", "answer 4"]);
	chat.close();
});
