// Clearing a conversation (the Agents SDK's clearHistory): an agent had no way to (a
// walkthrough, 2026-11-28). Who may is the agent's `canClear` (no one by default; here the conversation's owner, its key's first part), it waits
// for no turn (refused while one runs or prompts wait), and every chat drops its messages.
import { expect, it } from "vitest";
import {
	type AgentMessage,
	agentActor,
	type ChatModel,
	type ModelEvent,
} from "../../src/agent/index.js";
import { AgentChat, type AgentConnection } from "../../src/client/agent-chat.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { says, turnsOf } from "./scripted-model.js";

/** A model that answers at once, or holds its answer until `release()` while `hold` is set. */
function gatedModel() {
	const gate = { hold: false, release: () => {} };
	const model: ChatModel = {
		async *stream(): AsyncIterable<ModelEvent> {
			if (gate.hold) await new Promise<void>((resolve) => (gate.release = resolve));
			yield* says("answer");
		},
	};
	return { gate, model };
}

function agents(model: ChatModel) {
	const base = {
		model,
		createConnState: (_c: unknown, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn: { state: { user: string } }) => ({ id: conn.state.user }),
	};
	return {
		closed: agentActor(base),
		owned: agentActor({ ...base, canClear: (requester, [owner]) => requester.id === owner }),
	};
}

it("lets only whom canClear names clear, and every chat drops the messages", async () => {
	const { model } = gatedModel();
	await using t = await setupTest(setup({ use: agents(model), logLevel: "silent" }));

	const closed = t.client.closed.getOrCreate(["c"], { params: { user: "ann" } });
	await expect(closed.clear()).rejects.toMatchObject({ group: "auth", code: "forbidden" });

	const ann = t.client.owned.getOrCreate(["ann", "o"], { params: { user: "ann" } }).connect();
	const bob = t.client.owned.getOrCreate(["ann", "o"], { params: { user: "bob" } }).connect();
	const annChat = new AgentChat(ann);
	const bobChat = new AgentChat(bob);
	const turns = turnsOf(ann);
	await turns.ended((await annChat.send("one")).turnId);
	await expect.poll(() => bobChat.view.messages.length).toBe(2);

	await expect(bob.clear()).rejects.toMatchObject({ group: "auth", code: "forbidden" });
	expect(await annChat.clear()).toEqual({ deleted: 2 });
	await expect.poll(() => bobChat.view.messages.length).toBe(0);
	expect(annChat.view.messages).toEqual([]);
	expect(await bob.history()).toEqual([]);

	// The conversation goes on; the model reads only what came after.
	await turns.ended((await annChat.send("two")).turnId);
	await expect.poll(() => bobChat.view.messages.map((m) => m.content)).toEqual(["two", "answer"]);
	const late = new AgentChat(bob);
	await expect.poll(() => late.view.messages.map((m) => m.content)).toEqual(["two", "answer"]);
	for (const chat of [annChat, bobChat, late]) chat.close();
	await ann.dispose();
	await bob.dispose();
});

it("refuses to clear while a turn runs, and a page read before the clear brings nothing back", async () => {
	const { gate, model } = gatedModel();
	await using t = await setupTest(setup({ use: agents(model), logLevel: "silent" }));
	const ann = t.client.owned.getOrCreate(["ann", "busy"], { params: { user: "ann" } }).connect();
	const turns = turnsOf(ann);
	await turns.ended((await ann.prompt("first")).turnId);
	const before = await ann.history();
	expect(before.length).toBe(2);

	gate.hold = true;
	const running = await ann.prompt("second");
	await expect.poll(async () => (await ann.history()).length).toBe(3);
	await expect(ann.clear()).rejects.toMatchObject({ group: "agent", code: "busy" });
	gate.hold = false;
	gate.release();
	await turns.ended(running.turnId);

	// A chat whose first page was read before the clear and arrives after it.
	let releasePage: (page: AgentMessage[]) => void = () => {};
	const slowPages: AgentConnection = {
		prompt: (text) => ann.prompt(text),
		stop: () => ann.stop(),
		confirm: (callId, approve) => ann.confirm(callId, approve),
		history: () => new Promise<AgentMessage[]>((resolve) => (releasePage = resolve)),
		live: () => ann.live(),
		clear: () => ann.clear(),
		on: ((event: "message", handler: (message: AgentMessage) => void) =>
			ann.on(event, handler)) as AgentConnection["on"],
		onOpen: (callback) => ann.onOpen(callback),
		get sharedState() {
			return ann.sharedState;
		},
		onSharedState: (callback) => ann.onSharedState(callback),
	};
	const chat = new AgentChat(slowPages);
	const page = await ann.history();
	expect(page.length).toBe(4);
	expect(await ann.clear()).toEqual({ deleted: 4 });
	await expect.poll(() => chat.view.status).toBe("idle");
	await new Promise((resolve) => setTimeout(resolve, 50));
	releasePage(page);
	await expect.poll(() => chat.view.loading).toBe(false);
	expect(chat.view.messages).toEqual([]);
	expect(before.every((m) => page.some((p) => p.id === m.id))).toBe(true);
	chat.close();
	await ann.dispose();
});
