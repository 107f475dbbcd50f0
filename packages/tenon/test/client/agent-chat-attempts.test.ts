// Regression (a walkthrough, 2026-11-28): an answer streamed again after a
// crash keeps its message id, and its `messageStart` came while the client
// was reconnecting: the chat kept the lost attempt's longer text and spliced
// the new attempt's tokens onto it ("apple apple apBANANA BANANA"). Tokens,
// `messageStart` and `live()` now name their attempt; another attempt
// replaces the text.
import { describe, expect, it } from "vitest";
import type {
	AgentErrorInfo,
	AgentLiveMessage,
	AgentMessage,
	AgentMessageStart,
	AgentSharedState,
	AgentToken,
} from "../../src/agent/index.js";
import { AgentChat, type AgentConnection } from "../../src/client/agent-chat.js";

/** A connection the test drives: it emits events and answers `live()` as told. */
function scriptedConnection() {
	const handlers = new Map<string, Set<(value: never) => void>>();
	const opens = new Set<() => void>();
	let live: AgentLiveMessage | null = null;
	let historyFails = false;
	const prompts: {
		resolve: (answer: { turnId: string; messageId: string }) => void;
		reject: (error: unknown) => void;
	}[] = [];
	const errorHandlers = new Set<(error: AgentErrorInfo) => void>();
	const statusHandlers = new Set<(status: string) => void>();
	const emit = (event: string, value: unknown) => {
		for (const handler of handlers.get(event) ?? []) handler(value as never);
	};
	const connection: AgentConnection = {
		prompt: () => new Promise((resolve, reject) => prompts.push({ resolve, reject })),
		stop: async () => true,
		confirm: async () => {},
		history: async (): Promise<AgentMessage[]> => {
			if (historyFails) throw new Error("refused");
			return [];
		},
		live: async () => live,
		on: ((event: string, handler: (value: never) => void) => {
			const set = handlers.get(event) ?? new Set();
			set.add(handler);
			handlers.set(event, set);
			return () => set.delete(handler);
		}) as AgentConnection["on"],
		onOpen: (callback) => {
			opens.add(callback);
			return () => opens.delete(callback);
		},
		sharedState: undefined as AgentSharedState | undefined,
		onSharedState: () => () => {},
		onError: (callback) => {
			errorHandlers.add(callback);
			return () => errorHandlers.delete(callback);
		},
		onStatusChange: (callback) => {
			statusHandlers.add(callback);
			return () => statusHandlers.delete(callback);
		},
	};
	return {
		connection,
		start: (start: AgentMessageStart) => emit("messageStart", start),
		token: (token: AgentToken) => emit("token", token),
		setLive: (value: AgentLiveMessage | null) => {
			live = value;
		},
		reopen: () => {
			for (const open of opens) open();
		},
		refuse: (error: AgentErrorInfo) => {
			for (const handler of errorHandlers) handler(error);
			for (const handler of statusHandlers) handler("idle");
		},
		failHistory: () => {
			historyFails = true;
		},
		prompts,
	};
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("an answer streamed again after a crash", () => {
	it("replaces the lost attempt's text, whether its start was heard or not", async () => {
		const script = scriptedConnection();
		const chat = new AgentChat(script.connection);
		await settle();
		script.start({ messageId: "m1", turnId: "t1", attempt: "a" });
		script.token({ messageId: "m1", attempt: "a", offset: 0, text: "apple apple apple " });
		expect(chat.view.streaming?.text).toBe("apple apple apple ");
		// The server dies; it streams the answer again from the start, as attempt "b",
		// while this client reconnects: it hears neither "b"'s start nor its first tokens.
		script.setLive({ messageId: "m1", turnId: "t1", attempt: "b", text: "BANANA " });
		script.reopen();
		await settle();
		expect(chat.view.streaming?.text).toBe("BANANA ");
		script.token({ messageId: "m1", attempt: "b", offset: 7, text: "BANANA END" });
		expect(chat.view.streaming?.text).toBe("BANANA BANANA END");
		// A late token of the lost attempt changes nothing shown, and asks where the answer is.
		script.token({ messageId: "m1", attempt: "a", offset: 18, text: "apple" });
		await settle();
		expect(chat.view.streaming?.text).toBe("BANANA BANANA END");
		chat.close();
	});

	it("keeps the same attempt's longer text when live() answers behind its tokens", async () => {
		const script = scriptedConnection();
		const chat = new AgentChat(script.connection);
		await settle();
		script.start({ messageId: "m1", turnId: "t1", attempt: "a" });
		script.token({ messageId: "m1", attempt: "a", offset: 0, text: "one two three " });
		script.setLive({ messageId: "m1", turnId: "t1", attempt: "a", text: "one two " });
		script.reopen();
		await settle();
		expect(chat.view.streaming?.text).toBe("one two three ");
		chat.close();
	});
});

describe("a chat whose connection is refused for good", () => {
	it("stops loading and says why (loading stayed true for good: a walkthrough)", async () => {
		const script = scriptedConnection();
		script.failHistory();
		const chat = new AgentChat(script.connection);
		await settle();
		expect(chat.view.loading).toBe(true);
		script.refuse({ group: "auth", code: "forbidden", message: "Not your conversation" });
		expect(chat.view.loading).toBe(false);
		expect(chat.view.error).toEqual({
			group: "auth",
			code: "forbidden",
			message: "Not your conversation",
		});
		chat.close();
	});
});

describe("a prompt on its way", () => {
	it("shows at once in sending, and leaves it when the actor takes or refuses it (a walkthrough)", async () => {
		const script = scriptedConnection();
		const chat = new AgentChat(script.connection);
		await settle();
		const first = chat.send("where is my order?");
		const second = chat.send("where is my order?");
		const third = chat.send("and my refund?");
		expect(chat.view.sending).toEqual([
			"where is my order?",
			"where is my order?",
			"and my refund?",
		]);
		script.prompts[0]?.resolve({ turnId: "t1", messageId: "m1" });
		await first;
		expect(chat.view.sending).toEqual(["where is my order?", "and my refund?"]);
		script.prompts[2]?.reject(new Error("rate limited"));
		await expect(third).rejects.toThrow("rate limited");
		expect(chat.view.sending).toEqual(["where is my order?"]);
		script.prompts[1]?.resolve({ turnId: "t2", messageId: "m2" });
		await second;
		expect(chat.view.sending).toEqual([]);
		chat.close();
	});
});
