// Connections that outlive their actor's sleep: an actor whose only activity
// is open connections sleeps, the sockets stay open, and a message on any of
// them wakes it with every connection's id, params, conn state and
// subscriptions intact. Clients see nothing of it.
import { describe, expect, it } from "vitest";
import type { ActorConn } from "../../src/client/index.js";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";
import { reconnected } from "../helpers/reconnected.js";

const log: string[] = [];
let releaseSleep: (() => void) | undefined;

const room = actor({
	state: { wakes: 0, said: [] as string[] },
	createConnState: (_c, params: { name: string }) => ({ name: params.name, count: 0 }),
	onWake: (c) => {
		c.state.wakes++;
	},
	onConnect: (_c, conn) => {
		log.push(`connect:${conn.state.name}`);
	},
	onDisconnect: (c, conn) => {
		log.push(`disconnect:${conn.state.name}:${c.conns.has(conn.id)}`);
	},
	onSleep: async () => {
		if (releaseSleep !== undefined)
			await new Promise<void>((resolve) => {
				const release = releaseSleep;
				releaseSleep = () => {
					resolve();
					release?.();
				};
			});
	},
	events: { said: event<[from: string, text: string]>() },
	actions: {
		say: (c, text: string) => {
			c.conn.state.count++;
			c.state.said.push(text);
			c.broadcast("said", c.conn.state.name, text);
			return c.conn.state.count;
		},
		me: (c) => ({ id: c.conn.id, state: c.conn.state, params: c.conn.params }),
		stats: (c) => ({ wakes: c.state.wakes, online: c.conns.size, said: c.state.said }),
	},
	options: { sleepTimeout: 1_000 },
});

const registry = setup({ use: { room }, logLevel: "silent" });
type Conn = ActorConn<typeof room>;

/** Opens `n` connections to one room, each subscribed to `said`, and waits until all are in. */
async function openMany(
	t: Awaited<ReturnType<typeof setupTest<typeof registry>>>,
	key: string,
	n: number,
	heard: Map<number, string[]>,
): Promise<Conn[]> {
	const conns: Conn[] = [];
	for (let start = 0; start < n; start += 100) {
		const batch = Array.from({ length: Math.min(100, n - start) }, (_, offset) => {
			const index = start + offset;
			const conn = t.client.room.getOrCreate(key, { params: { name: `u${index}` } }).connect();
			heard.set(index, []);
			conn.on("said", (_from, text) => heard.get(index)?.push(text));
			return conn;
		});
		// A round trip each: connected, and the subscription (sent before it) applied.
		await Promise.all(batch.map((conn) => conn.me()));
		conns.push(...batch);
	}
	return conns;
}

describe("hibernating connections", () => {
	it("an actor with 1,000 idle connections sleeps on time; a message wakes it and broadcasts reach all", async () => {
		await using t = await setupTest(registry);
		log.length = 0;
		const heard = new Map<number, string[]>();
		const conns = await openMany(t, "big", 1_000, heard);
		const ids = await Promise.all(conns.map(async (conn) => (await conn.me()).id));
		const statuses: string[] = [];
		for (const conn of conns) conn.onStatusChange((status) => statuses.push(status));
		await t.settle();
		expect(t.awakeActors()).toBe(1);

		await t.clock.advance(999);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		await t.clock.advance(1);
		await t.settle();
		expect(t.awakeActors()).toBe(0);

		// A message on any one of them wakes the actor and is answered.
		expect(await conns[537]?.say("hello")).toBe(1);
		expect(t.awakeActors()).toBe(1);
		const stats = await conns[0]?.stats();
		expect(stats).toMatchObject({ wakes: 2, online: 1_000 });
		// The broadcast after the wake reached every connection that subscribed.
		await expect
			.poll(() => [...heard.values()].filter((texts) => texts.includes("hello")).length)
			.toBe(1_000);
		// Same connections: ids and conn state intact, no close, no reconnect, no onConnect again.
		expect(await Promise.all(conns.map(async (conn) => (await conn.me()).id))).toEqual(ids);
		expect(await conns[537]?.me()).toMatchObject({ state: { name: "u537", count: 1 } });
		expect(statuses).toEqual([]);
		expect(log.filter((line) => line.startsWith("connect:"))).toHaveLength(1_000);
		expect(log.filter((line) => line.startsWith("disconnect:"))).toHaveLength(0);
		await Promise.all(conns.map((conn) => conn.dispose()));
	}, 120_000);

	it("keeps conn state across many sleeps", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("cycles", { params: { name: "ada" } }).connect();
		for (let round = 1; round <= 5; round++) {
			expect(await conn.say(`round ${round}`)).toBe(round);
			await t.clock.advance(1_000);
			await t.settle();
			expect(t.awakeActors()).toBe(0);
		}
		expect(await conn.stats()).toMatchObject({
			wakes: 6,
			said: ["round 1", "round 2", "round 3", "round 4", "round 5"],
		});
		await conn.dispose();
	});

	it("loses and reorders no frame sent while the actor goes to sleep or wakes", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("inflight", { params: { name: "bo" } }).connect();
		await conn.me();
		// The actor starts to sleep; onSleep waits, so it stays "stopping" meanwhile.
		let slept = false;
		releaseSleep = () => {
			slept = true;
		};
		await t.clock.advance(1_000);
		const during = Array.from({ length: 20 }, (_, i) => conn.say(`during ${i}`));
		releaseSleep();
		releaseSleep = undefined;
		await t.settle();
		expect(slept).toBe(true);
		const answers = await Promise.all(during);
		expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
		// Asleep again, then a burst: the first frame wakes it, the rest wait their turn.
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		const burst = Array.from({ length: 30 }, (_, i) => conn.say(`burst ${i}`));
		expect(await Promise.all(burst)).toEqual(Array.from({ length: 30 }, (_, i) => i + 21));
		const said = (await conn.stats()).said;
		expect(said).toEqual([
			...Array.from({ length: 20 }, (_, i) => `during ${i}`),
			...Array.from({ length: 30 }, (_, i) => `burst ${i}`),
		]);
		await conn.dispose();
	});

	it("runs onDisconnect when a client leaves while its actor sleeps", async () => {
		await using t = await setupTest(registry);
		log.length = 0;
		const stays = t.client.room.getOrCreate("leave", { params: { name: "stays" } }).connect();
		const goes = t.client.room.getOrCreate("leave", { params: { name: "goes" } }).connect();
		await Promise.all([stays.me(), goes.me()]);
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await goes.dispose();
		await expect.poll(() => log).toContain("disconnect:goes:false");
		expect((await stays.stats()).online).toBe(1);
		await stays.dispose();
	});

	it("resumes a connection with its conn state after a server restart", async () => {
		await using t = await setupTest(registry);
		log.length = 0;
		const conn = t.client.room.getOrCreate("restart", { params: { name: "cy" } }).connect();
		expect(await conn.say("one")).toBe(1);
		const before = await conn.me();
		const back = reconnected(conn);
		await t.restart();
		await back;
		expect(await conn.say("two")).toBe(2);
		const after = await conn.me();
		expect(after.id).toBe(before.id);
		expect(after.state).toEqual({ name: "cy", count: 2 });
		expect(log.filter((line) => line === "connect:cy")).toHaveLength(1);
		await conn.dispose();
	});

	it("gives a lost connection that is not resumed its onDisconnect after connectionResumeTimeout", async () => {
		await using t = await setupTest(registry);
		log.length = 0;
		const kept = t.client.room.getOrCreate("orphans", { params: { name: "kept" } }).connect();
		await kept.me();
		// A client that will not come back after the restart (a bare socket, no reconnect logic).
		const params = encodeURIComponent(JSON.stringify({ name: "lost" }));
		const lost = await rawSocket(
			`${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=get&rvt-key=orphans`,
			[
				"rivet",
				"rivet_encoding.json",
				`rivet_conn_params.${params}`,
				`rivet_conn_token.${"x".repeat(32)}`,
			],
		);
		await expect.poll(() => lost.decoded().some((m) => m.body?.tag === "Init")).toBe(true);
		expect((await kept.stats()).online).toBe(2);
		const back = reconnected(kept);
		await t.restart();
		await back;
		// Woken by `kept` resuming: `lost` is stored but has no socket; it waits for its client.
		expect((await kept.stats()).online).toBe(1);
		expect(log.filter((line) => line.startsWith("disconnect:"))).toEqual([]);
		await t.clock.advance(29_999);
		expect(log.filter((line) => line.startsWith("disconnect:"))).toEqual([]);
		await t.clock.advance(1);
		await expect.poll(() => log).toContain("disconnect:lost:false");
		await kept.dispose();
	});

	it("refuses to resume a connection without its token (a new connection instead)", async () => {
		await using t = await setupTest(registry);
		const owner = t.client.room.getOrCreate("hijack", { params: { name: "owner" } }).connect();
		expect(await owner.say("mine")).toBe(1);
		const { id } = await owner.me();
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=get&rvt-key=hijack`;
		const params = encodeURIComponent(JSON.stringify({ name: "mallory" }));
		const attempt = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			`rivet_conn_params.${params}`,
			`rivet_conn.${id}`,
			`rivet_conn_token.${"guessed-token-000000".repeat(2)}`,
		]);
		await expect.poll(() => attempt.decoded().length).toBeGreaterThan(0);
		const init = attempt.decoded()[0].body;
		expect(init.tag).toBe("Init");
		expect(init.val.connectionId).not.toBe(id);
		// The owner's connection is untouched.
		expect(await owner.me()).toMatchObject({ id, state: { name: "owner", count: 1 } });
		attempt.ws.close();
		await owner.dispose();
	});

	it("refuses a malformed resume token with a stable error", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/getOrCreate?x=1`;
		const socket = await rawSocket(
			`${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=bad`,
			["rivet", "rivet_encoding.json", "rivet_conn_token.short"],
		);
		const closed = await socket.closed;
		expect(closed.code).toBe(1008);
		expect(closed.reason).toBe("request.invalid");
		expect(url).toContain("gateway");
	});
});

const echo = actor({
	state: { received: [] as string[], handlerRuns: 0, closes: [] as string[] },
	createConnState: () => ({ messages: 0 }),
	onWebSocket: (c, ws) => {
		c.state.handlerRuns++;
		// Read-only, live or restored after hibernation.
		if (!Object.isFrozen(c.request)) throw new Error("c.request is not frozen");
		if (!ws.restored) ws.send(`welcome ${c.request?.headers.get("x-who") ?? "?"}`);
		ws.addEventListener("message", (event) => {
			c.conn.state.messages++;
			c.state.received.push(String(event.data));
			ws.send(`echo:${event.data}:${c.conn.state.messages}:${c.request?.headers.get("x-who")}`);
		});
		ws.addEventListener("close", (event) => {
			c.state.closes.push(`${event.code}`);
		});
	},
	actions: { stats: (c) => c.state },
	options: {
		sleepTimeout: 1_000,
		canHibernateWebSocket: (request) => request.url.includes("/chat"),
	},
});

const rawRegistry = setup({ use: { echo }, logLevel: "silent" });

describe("hibernating raw WebSockets (canHibernateWebSocket)", () => {
	async function openRaw(
		t: { url: string },
		path: string,
	): Promise<Awaited<ReturnType<typeof rawSocket>>> {
		return rawSocket(
			`${t.url.replace(/^http/, "ws")}/gateway/echo/websocket${path}?rvt-method=getOrCreate&rvt-key=r`,
			[],
			{ "x-who": "zoe" },
		);
	}

	it("keeps the socket open while the actor sleeps; onWebSocket runs again on wake, then the message", async () => {
		await using t = await setupTest(rawRegistry);
		const socket = await openRaw(t, "/chat");
		await expect.poll(() => socket.messages).toEqual(["welcome zoe"]);
		socket.ws.send("a");
		await expect.poll(() => socket.messages).toContain("echo:a:1:zoe");
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		socket.ws.send("b");
		socket.ws.send("c");
		await expect
			.poll(() => socket.messages)
			.toEqual(["welcome zoe", "echo:a:1:zoe", "echo:b:2:zoe", "echo:c:3:zoe"]);
		const stats = await t.client.echo.getOrCreate("r").stats();
		expect(stats).toMatchObject({ received: ["a", "b", "c"], handlerRuns: 2 });
		// The client saw no close; now it leaves while the actor sleeps, and the handler hears it.
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		socket.ws.close(4001, "bye");
		await expect
			.poll(async () => (await t.client.echo.getOrCreate("r").stats()).closes)
			.toEqual(["4001"]);
	});

	it("keeps the actor awake for a raw socket that does not hibernate", async () => {
		await using t = await setupTest(rawRegistry);
		const socket = await openRaw(t, "/plain");
		await expect.poll(() => socket.messages).toEqual(["welcome zoe"]);
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		socket.ws.close();
		// Once the server has seen the close, the actor is idle and sleeps after its timeout.
		await expect
			.poll(async () => {
				await t.clock.advance(1_000);
				await t.settle();
				return t.awakeActors();
			})
			.toBe(0);
	});
});

describe("inspecting hibernated connections", () => {
	const TOKEN = "inspector-token-for-hibernation";

	it("shows stored connections and where their sockets are", async () => {
		await using t = await setupTest(
			setup({ use: { room }, logLevel: "silent", inspector: { token: TOKEN } }),
		);
		const handle = t.client.room.getOrCreate("inspect", { params: { name: "ida" } });
		const conn = handle.connect();
		conn.on("said", () => {});
		expect(await conn.say("hi")).toBe(1);
		const actorId = await handle.resolve();
		const read = async () => {
			const response = await fetch(`${t.url}/inspector/actors/${actorId}/connections`, {
				headers: { authorization: `Bearer ${TOKEN}` },
			});
			expect(response.status).toBe(200);
			return response.json();
		};
		await t.settle();
		expect(await read()).toMatchObject({
			actorId,
			actorStatus: "awake",
			connections: [
				{
					kind: "connect",
					status: "connected",
					// Shown as its shape: params carry credentials (docs/inspector.md).
					params: { name: "[string, 3 chars]" },
					state: { name: "ida", count: 1 },
					subscriptions: ["said"],
				},
			],
		});
		await t.clock.advance(1_000);
		await t.settle();
		expect(await read()).toMatchObject({
			actorStatus: "sleeping",
			connections: [{ status: "hibernated", state: { name: "ida", count: 1 } }],
		});
		const sockets = await fetch(`${t.url}/inspector/sockets`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		});
		expect(await sockets.json()).toEqual({ sockets: 1, hibernated: 1 });
		// No token: refused.
		const anonymous = await fetch(`${t.url}/inspector/actors/${actorId}/connections`);
		expect(anonymous.status).toBe(401);
		await conn.dispose();
	});
});

describe("connections that cannot hibernate", () => {
	const sticky = actor({
		state: {},
		createConnState: (_c, params: { name: string }) => ({ name: params.name }),
		actions: { me: (c) => c.conn.state.name },
		options: { sleepTimeout: 1_000, hibernateConnections: false },
	});
	const odd = actor({
		state: {},
		// A function cannot be stored: this connection stays in memory and keeps the actor awake.
		createConnState: () => ({ callback: () => "not storable" }),
		actions: { ping: () => "pong" },
		options: { sleepTimeout: 1_000 },
	});
	const stickyRegistry = setup({ use: { sticky, odd }, logLevel: "silent" });

	it("keeps the actor awake while connections are open when hibernateConnections is off", async () => {
		await using t = await setupTest(stickyRegistry);
		const conn = t.client.sticky.getOrCreate("s", { params: { name: "al" } }).connect();
		expect(await conn.me()).toBe("al");
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		await conn.dispose();
	});

	it("keeps the actor awake for a connection whose state cannot be stored", async () => {
		await using t = await setupTest(stickyRegistry);
		const conn = t.client.odd.getOrCreate("o").connect();
		expect(await conn.ping()).toBe("pong");
		await t.settle();
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		expect(await conn.ping()).toBe("pong");
		await conn.dispose();
	});
});

describe("resuming on a new socket while the old one is still open", () => {
	it("moves the connection to the new socket and closes the old one", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=blip`;
		const params = `rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "flo" }))}`;
		const token = `rivet_conn_token.${"t".repeat(40)}`;
		const call = (id: number, name: string) =>
			JSON.stringify({ body: { tag: "ActionRequest", val: { id, name, args: ["x"] } } });
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json", params, token]);
		await expect.poll(() => first.decoded().length).toBe(1);
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		first.ws.send(call(1, "say"));
		await expect.poll(() => first.decoded().length).toBe(2);
		// The network blipped: the client opens a new socket before the old one is known dead.
		const second = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			params,
			token,
			`rivet_conn.${connectionId}`,
		]);
		await expect.poll(() => second.decoded().length).toBe(1);
		expect(second.decoded()[0].body).toMatchObject({ tag: "Init", val: { connectionId } });
		expect(await first.closed).toEqual({ code: 1000, reason: "conn.resumed_elsewhere" });
		second.ws.send(call(2, "say"));
		await expect.poll(() => second.decoded().length).toBe(2);
		expect(second.decoded()[1].body).toMatchObject({ tag: "ActionResponse", val: { output: 2 } });
		second.ws.close();
	});
});
