// Server code adding a message as the assistant's (a scheduled follow-up, a notice): the
// Agents SDK's `saveMessages`. An agent had no way to (a walkthrough, 2026-11-28): a
// follow-up went through `prompt`, as if the user had written it.
import { expect, expectTypeOf, it } from "vitest";
import {
	type AgentMessage,
	addAssistantMessage,
	agentActor,
	type ChatModel,
} from "../../src/agent/index.js";
import { setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { says, scripted, turnsOf } from "./scripted-model.js";

const SECRET = "sk-live-0123456789abcdef";

function notesAgent() {
	const model = scripted((call) => says(`answer ${call}`));
	const helper = agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		redact: { secrets: [SECRET] },
		maxAnswerChars: 50,
		actions: {
			/** The conversation's own user asks for a reminder. */
			remindLater: (c, ms: number) => {
				if (c.conn.state.user !== c.key[0]) throw new UserError("not yours", { code: "forbidden" });
				return c.schedule.after(ms, "remind", `Reminder: your key is ${SECRET}`);
			},
			// Its timer's only: actions are public, and a client calling this would speak as the agent.
			remind: (c, text: string) => {
				if (!c.fire) throw new UserError("only its timer calls this", { code: "forbidden" });
				return addAssistantMessage(c, text);
			},
			// A test's: any client of the conversation may make the agent say anything.
			notify: (c, text: unknown) => addAssistantMessage(c, text as string),
			notifyLong: (c, length: number) => addAssistantMessage(c, "y".repeat(length)),
		},
	});
	return { model, helper };
}

it("adds the message after the turns queued before it, redacted, to every connection and the model's context", async () => {
	const { model, helper } = notesAgent();
	await using t = await setupTest(setup({ use: { helper }, logLevel: "silent" }));
	const conn = t.client.helper.getOrCreate(["ann"], { params: { user: "ann" } }).connect();
	const heard: AgentMessage[] = [];
	conn.on("message", (message) => heard.push(message));
	const turns = turnsOf(conn);

	const first = await conn.prompt("hello");
	const note = await conn.notify(`Your order shipped. ${SECRET}`);
	expectTypeOf(note).toEqualTypeOf<{ turnId: string; messageId: string }>();
	await turns.ended(first.turnId);
	await expect.poll(() => heard.some((m) => m.id === note.messageId)).toBe(true);

	const history = await conn.history();
	expect(history.map((m) => [m.role, m.content])).toEqual([
		["user", "hello"],
		["assistant", "answer 1"],
		["assistant", "Your order shipped. [redacted]"],
	]);
	const stored = history[2] as AgentMessage;
	expect(stored).toMatchObject({ id: note.messageId, turnId: note.turnId, status: "complete" });
	expect(stored.author).toBeNull();
	// The model was not called for it, and reads it on the next turn.
	expect(model.calls).toBe(1);
	const second = await conn.prompt("thanks");
	await turns.ended(second.turnId);
	expect(model.calls).toBe(2);
	const context = JSON.stringify(model.requests[1]?.messages);
	expect(context).toContain("Your order shipped. [redacted]");
	expect(context).not.toContain(SECRET);
	await conn.dispose();
});

it("takes a timer's follow-up, cuts a long one to maxAnswerChars and refuses an empty one", async () => {
	const { helper } = notesAgent();
	await using t = await setupTest(setup({ use: { helper }, logLevel: "silent" }));
	const conn = t.client.helper.getOrCreate(["bob"], { params: { user: "bob" } }).connect();
	await conn.remindLater(60_000);
	await t.clock.advance(60_000);
	await expect
		.poll(async () => {
			await t.clock.advance(10);
			return (await conn.history()).map((m) => m.content);
		})
		.toEqual(["Reminder: your key is [redacted]"]);

	const long = await conn.notify("x".repeat(80));
	await expect
		.poll(async () => (await conn.history()).find((m) => m.id === long.messageId))
		.toMatchObject({ content: "x".repeat(50), status: "truncated" });

	// Past the actor's maxQueueMessageSize (64 KiB encoded): the queue's own refusal.
	await expect(conn.notifyLong(70_000)).rejects.toMatchObject({ group: "queue" });
	for (const bad of ["", "   ", 42])
		await expect(conn.notify(bad)).rejects.toMatchObject({
			group: "agent",
			code: "invalid_message",
		});
	// Not the conversation's user: the app's own check refuses it; nor may a client call the
	// timer's action.
	const eve = t.client.helper.getOrCreate(["bob"], { params: { user: "eve" } });
	await expect(eve.remindLater(1)).rejects.toMatchObject({ code: "forbidden" });
	await expect(conn.remind("I am the assistant")).rejects.toMatchObject({ code: "forbidden" });
	await conn.dispose();
});

it("queues the note redacted: the inspector's queue view never shows the secret while it waits", async () => {
	let release = () => {};
	const gate = new Promise<void>((resolve) => {
		release = resolve;
	});
	const model: ChatModel = {
		async *stream() {
			await gate;
			yield* says("answer");
		},
	};
	const helper = agentActor({
		model,
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
		redact: { secrets: [SECRET] },
		actions: { notify: (c, text: string) => addAssistantMessage(c, text) },
	});
	const token = "inspector-token-for-notes-0123456789";
	await using t = await setupTest(
		setup({ use: { helper }, logLevel: "silent", inspector: { token } }),
	);
	const handle = t.client.helper.getOrCreate(["ann"], { params: { user: "ann" } });
	const turns = turnsOf(handle.connect());
	// A turn is under way (its model waits): the note waits in the queue behind it.
	const first = await handle.prompt("hello");
	await handle.notify(`Your order shipped. Support key: ${SECRET}`);
	const id = await handle.resolve();
	const queue = await fetch(`${t.url}/inspector/actors/${id}/queue`, {
		headers: { authorization: `Bearer ${token}` },
	});
	const text = await queue.text();
	expect(queue.status).toBe(200);
	expect(text).toContain("Your order shipped. Support key: [redacted]");
	expect(text).not.toContain(SECRET);
	release();
	await turns.ended(first.turnId);
});
