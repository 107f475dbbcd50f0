// User code whose result nothing awaits, driven by what a client sends: a raw
// WebSocket's listeners, `onStateChange`, a client's event listeners. One that
// throws, or an async one whose promise rejects, is logged, and the socket,
// the actor and the process keep serving. An async one's rejection was left
// unhandled, which ends a Node process by default.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const room = actor({
	state: { seen: 0 },
	onWebSocket: (c, socket) => {
		socket.addEventListener("message", async (event) => {
			const text = String(event.data);
			await Promise.resolve();
			if (text === "reject") throw new Error("async listener failed");
			c.state.seen++;
			socket.send(`echo:${text}`);
		});
		socket.addEventListener("message", (event) => {
			if (String(event.data) === "throw") throw new Error("listener failed");
		});
	},
	actions: { seen: (c) => c.state.seen },
});

const counter = actor({
	state: { count: 0 },
	events: { bumped: event<number>() },
	onStateChange: async (_c, state) => {
		await Promise.resolve();
		if (state.count === 1) throw new Error("async onStateChange failed");
	},
	actions: {
		bump: (c) => {
			c.state.count++;
			c.broadcast("bumped", c.state.count);
			return c.state.count;
		},
	},
});

const registry = setup({ use: { room, counter }, logLevel: "silent" });

describe("callbacks that fail", () => {
	const unhandled: unknown[] = [];
	const record = (reason: unknown) => unhandled.push(reason);
	beforeEach(() => {
		unhandled.length = 0;
		process.on("unhandledRejection", record);
	});
	afterEach(() => {
		process.off("unhandledRejection", record);
	});

	it("raw WebSocket listeners: logged; the socket keeps serving, nothing left unhandled", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.room.getOrCreate("a");
		const socket = await handle.webSocket("/");
		const received: string[] = [];
		socket.addEventListener("message", (event) => received.push(String(event.data)));
		await new Promise<void>((resolve) => socket.addEventListener("open", () => resolve()));
		socket.send("reject");
		socket.send("throw");
		socket.send("hi");
		await expect.poll(() => received).toEqual(["echo:throw", "echo:hi"]);
		// A turn of the event loop for a rejection to be reported.
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(unhandled).toEqual([]);
		expect(await handle.seen()).toBe(2);
		socket.close();
	});

	it("an async onStateChange and a client's async event listener: nothing left unhandled", async () => {
		await using t = await setupTest(registry);
		const logged = vi.spyOn(console, "error").mockImplementation(() => {});
		const conn = t.client.counter.getOrCreate("a").connect();
		const heard: number[] = [];
		conn.on("bumped", async (count) => {
			heard.push(count);
			await Promise.resolve();
			throw new Error("client listener failed");
		});
		expect(await conn.bump()).toBe(1);
		expect(await conn.bump()).toBe(2);
		await expect.poll(() => heard).toEqual([1, 2]);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(unhandled).toEqual([]);
		expect(logged).toHaveBeenCalledWith("tenon: a connection callback threw", expect.any(Error));
		logged.mockRestore();
		await conn.dispose();
	});
});
