import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ConnStatus } from "../../src/client/index.js";
import { actor, event, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const lobbyLog: string[] = [];
let finishSlow: (() => void) | undefined;

const lobby = actor({
	state: { joins: 0, slowDone: 0 },
	onBeforeConnect: (_c, params: { name: string; token?: string }) => {
		if (params?.token !== "secret") throw new UserError("bad token", { code: "unauthorized" });
	},
	createConnState: (_c, params: { name: string; token?: string }) => ({
		name: params.name,
		messages: 0,
	}),
	events: { said: event<[from: string, text: string]>(), private: event<string>() },
	onConnect: (c, conn) => {
		c.state.joins++;
		lobbyLog.push(`connect:${conn.state.name}:${c.conns.has(conn.id)}`);
	},
	onDisconnect: (c, conn) => {
		lobbyLog.push(`disconnect:${conn.state.name}:${c.conns.has(conn.id)}`);
	},
	actions: {
		say: (c, text: string) => {
			c.conn.state.messages++;
			c.broadcast("said", c.conn.state.name, text);
			return c.conn.state.messages;
		},
		whisper: (c, toName: string, text: string) => {
			for (const conn of c.conns.values())
				if (conn.state.name === toName) conn.send("private", text);
		},
		kick: (c, name: string) => {
			for (const conn of c.conns.values()) if (conn.state.name === name) conn.disconnect("kicked");
		},
		who: (c) => ({
			me: c.conn.state.name,
			ephemeral: c.conn.isEphemeral,
			online: [...c.conns.values()].map((conn) => conn.state.name),
		}),
		slow: async (c) => {
			await new Promise<void>((resolve) => {
				finishSlow = resolve;
			});
			c.state.slowDone++;
			return "done";
		},
		stats: (c) => c.state,
	},
});

const registry = setup({ use: { lobby }, logLevel: "silent" });
const params = (name: string) => ({ params: { name, token: "secret" } });

describe("connections", () => {
	it("creates connection state, tracks c.conns and runs connect hooks", async () => {
		await using t = await setupTest(registry);
		lobbyLog.length = 0;
		const alice = t.client.lobby.getOrCreate("room", params("alice")).connect();
		const bob = t.client.lobby.getOrCreate("room", params("bob")).connect();
		expect(await alice.say("hi")).toBe(1);
		expect(await alice.say("again")).toBe(2);
		expect((await bob.who()).online.sort()).toEqual(["alice", "bob"]);
		await bob.dispose();
		await expect.poll(() => lobbyLog).toContain("disconnect:bob:false");
		expect(lobbyLog).toContain("connect:alice:true");
		expect((await alice.who()).online).toEqual(["alice"]);
		await alice.dispose();
	});

	it("rejects a connection in onBeforeConnect with a readable error and no reconnect", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.lobby
			.getOrCreate("room", { params: { name: "mallory", token: "guess" } })
			.connect();
		const errors: unknown[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.say("hi")).rejects.toMatchObject({ group: "user", code: "unauthorized" });
		expect(errors[0]).toMatchObject({ group: "user", code: "unauthorized", message: "bad token" });
		expect(conn.connStatus).toBe("idle");
		await conn.dispose();
	});

	it("applies onBeforeConnect and createConnState to HTTP actions too", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.lobby.getOrCreate("room").who()).rejects.toMatchObject({
			code: "unauthorized",
		});
		expect(await t.client.lobby.getOrCreate("room", params("http")).who()).toEqual({
			me: "http",
			ephemeral: true,
			online: [],
		});
	});

	it("sends events only to subscribers, honours unsubscribe and once", async () => {
		await using t = await setupTest(registry);
		const alice = t.client.lobby.getOrCreate("events", params("alice")).connect();
		const bob = t.client.lobby.getOrCreate("events", params("bob")).connect();
		const heard: string[] = [];
		const off = alice.on("said", (from, text) => heard.push(`${from}:${text}`));
		const once: string[] = [];
		alice.once("said", (_from, text) => once.push(text));
		const whispers: string[] = [];
		bob.on("private", (text) => whispers.push(text));
		await bob.say("one");
		await bob.whisper("bob", "psst");
		await expect.poll(() => heard).toEqual(["bob:one"]);
		await expect.poll(() => whispers).toEqual(["psst"]);
		off();
		await bob.say("two");
		await bob.whisper("alice", "not subscribed");
		expect(await alice.say("three")).toBe(1);
		expect(heard).toEqual(["bob:one"]);
		expect(once).toEqual(["one"]);
		await alice.dispose();
		await bob.dispose();
	});

	it("closes a connection from the actor (conn.disconnect) without reconnecting", async () => {
		await using t = await setupTest(registry);
		const eve = t.client.lobby.getOrCreate("kick", params("eve")).connect();
		const admin = t.client.lobby.getOrCreate("kick", params("admin")).connect();
		await eve.say("hello");
		let closed = 0;
		eve.onClose(() => closed++);
		await admin.kick("eve");
		await expect.poll(() => eve.connStatus).toBe("idle");
		expect(closed).toBe(1);
		expect((await admin.who()).online).toEqual(["admin"]);
		await eve.dispose();
		await admin.dispose();
	});

	it("reconnects after a server restart and subscribes again", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.lobby.getOrCreate("restart", params("ann")).connect();
		const statuses: ConnStatus[] = [];
		conn.onStatusChange((status) => statuses.push(status));
		const heard: string[] = [];
		conn.on("said", (_from, text) => heard.push(text));
		let opens = 0;
		conn.onOpen(() => opens++);
		await conn.say("before");
		await t.restart();
		await expect.poll(() => opens, { timeout: 5_000 }).toBe(2);
		await t.client.lobby.getOrCreate("restart", params("http")).say("after");
		await expect.poll(() => heard).toEqual(["before", "after"]);
		expect(statuses).toContain("disconnected");
		expect(statuses.at(-1)).toBe("connected");
		// The connection resumed (same id, same conn state): onConnect did not run again.
		expect((await conn.stats()).joins).toBe(1);
		await conn.dispose();
	});

	it("keeps serving when a client vanishes mid-action, and keeps the action's writes", async () => {
		await using t = await setupTest(registry);
		lobbyLog.length = 0;
		const handle = t.client.lobby.getOrCreate("vanish", params("http"));
		const actorId = await handle.resolve();
		const protocols = [
			"rivet",
			"rivet_encoding.json",
			`rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "ghost", token: "secret" }))}`,
		];
		const ws = new WebSocket(
			`${t.url.replace("http", "ws")}/gateway/${actorId}/connect`,
			protocols,
		);
		await new Promise<void>((resolve) => ws.once("message", () => resolve()));
		finishSlow = undefined;
		ws.send(
			JSON.stringify({ body: { tag: "ActionRequest", val: { id: 1, name: "slow", args: [] } } }),
		);
		await expect.poll(() => finishSlow).toBeDefined();
		ws.terminate();
		await expect.poll(() => lobbyLog).toContain("disconnect:ghost:false");
		// Assigned by the actor while the test awaited; TypeScript cannot see that.
		(finishSlow as (() => void) | undefined)?.();
		await expect.poll(async () => (await handle.stats()).slowDone).toBe(1);
		expect(await handle.say("still here")).toBe(1);
	});
});
