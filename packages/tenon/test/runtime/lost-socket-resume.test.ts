// Regression (a durability chaos probe, 2026-11-28): a connection whose socket
// was cut without a close frame (a network drop; in a cluster, the death of the
// node that relayed it to the actor's owner) was taken for a client that left:
// `onDisconnect` ran and its record was deleted, so the client, reconnecting
// with its id and secret, got a new connection and lost its acknowledged conn
// state (4 of 4 runs), though connections.md promised it resumes. A socket
// lost so (1006) now waits `connectionResumeTimeout` for its client, as one
// lost in a restart does; a client that closes its socket still leaves at once.
import net from "node:net";
import { afterEach, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket, tryUpgrade } from "../helpers/raw.js";

const left: string[] = [];
const acct = actor({
	state: {},
	createConnState: () => ({ count: 0 }),
	onDisconnect: (_c, conn) => {
		left.push(conn.id);
	},
	actions: {
		bump: (c) => ++c.conn.state.count,
		me: (c) => ({ id: c.conn.id, count: c.conn.state.count, conns: c.conns.size }),
	},
});
const registry = setup({ use: { acct }, logLevel: "silent" });

/** A TCP relay to `port` whose sockets the test can cut (no close frame reaches either side). */
async function relayTo(port: number) {
	const pairs = new Set<[net.Socket, net.Socket]>();
	let blocked = false;
	const server = net.createServer((down) => {
		if (blocked) {
			down.resetAndDestroy();
			return;
		}
		const up = net.connect(port, "127.0.0.1");
		const pair: [net.Socket, net.Socket] = [down, up];
		pairs.add(pair);
		down.pipe(up);
		up.pipe(down);
		const end = () => {
			pairs.delete(pair);
			down.destroy();
			up.destroy();
		};
		for (const socket of pair) {
			socket.on("error", end);
			socket.on("close", end);
		}
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
		cut() {
			for (const [down, up] of [...pairs]) {
				up.destroy();
				down.resetAndDestroy();
			}
		},
		/** New connections are refused (reset) until `unblock`. */
		block() {
			blocked = true;
		},
		unblock() {
			blocked = false;
		},
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}

afterEach(() => {
	left.length = 0;
});

it("resumes a connection whose socket was cut, with its conn state", async () => {
	await using t = await setupTest(registry);
	const relay = await relayTo(Number(new URL(t.url).port));
	const client = createClient<typeof registry>({
		endpoint: relay.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 100 },
	});
	try {
		const conn = client.acct.getOrCreate("a").connect();
		for (let i = 0; i < 5; i++) await conn.bump();
		const before = await conn.me();
		relay.cut();
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(await conn.me()).toEqual({ id: before.id, count: 5, conns: 1 });
		expect(left).toEqual([]);
		await conn.dispose();
		// Closed by its client: gone at once.
		await expect.poll(() => left).toEqual([before.id]);
	} finally {
		await client.dispose();
		await relay.close();
	}
});

it("gives a cut connection up after connectionResumeTimeout when its client does not come back", async () => {
	await using t = await setupTest(registry);
	const relay = await relayTo(Number(new URL(t.url).port));
	const client = createClient<typeof registry>({
		endpoint: relay.url,
		reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
	});
	try {
		const conn = client.acct.getOrCreate("b").connect();
		const { id } = await conn.me();
		const watcher = t.client.acct.getOrCreate("b");
		relay.cut();
		// Not among the actor's connections while it waits, and not disconnected yet.
		await expect.poll(async () => (await watcher.me()).conns).toBe(0);
		expect(left).toEqual([]);
		await t.clock.advance(30_000);
		await expect.poll(() => left).toEqual([id]);
	} finally {
		await client.dispose();
		await relay.close();
	}
});

// Each loss waits its own connectionResumeTimeout (an attacker probe, 2026-11-28): the wait of
// a first loss ran on after the client came back, and expired the connection when it fired
// while a second loss waited (1.2 s after that loss, of its 30 s), so the client got a new
// connection; the wait also kept the actor awake after the resume.
it("gives each loss of a connection's socket its own wait, ended when the client resumes", async () => {
	await using t = await setupTest(registry);
	const relay = await relayTo(Number(new URL(t.url).port));
	const client = createClient<typeof registry>({
		endpoint: relay.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 50 },
	});
	try {
		const conn = client.acct.getOrCreate("twice").connect();
		await conn.bump();
		const { id } = await conn.me();
		const watcher = t.client.acct.getOrCreate("twice");
		relay.cut();
		await expect.poll(async () => (await conn.me()).id).toBe(id);
		await t.clock.advance(20_000);
		// Lost again, its client kept out 15 s (of the manual clock) past the first loss's wait.
		relay.block();
		relay.cut();
		await expect.poll(async () => (await watcher.me()).conns).toBe(0);
		await t.clock.advance(15_000);
		expect(left).toEqual([]);
		relay.unblock();
		await expect.poll(async () => (await watcher.me()).conns).toBe(1);
		expect(await conn.me()).toEqual({ id, count: 1, conns: 1 });
		expect(left).toEqual([]);
	} finally {
		await client.dispose();
		await relay.close();
	}
});

/** The registry with two sockets per address, limited on loopback too. */
const twoPerAddress = setup({
	use: { acct },
	logLevel: "silent",
	limits: { maxConnectionsPerAddress: 2 },
	rateLimits: { perAddress: false, limitLoopback: true },
});
const protocols = ["rivet", "rivet_encoding.json"];
const acctSocketUrl = (base: string, key: string) =>
	`${base.replace("http", "ws")}/gateway/acct/connect?rvt-method=getOrCreate&rvt-key=${key}`;

// A connection waiting for its client after a lost socket counts against the address that
// held the socket (an attacker probe, 2026-11-28): it costs what an open one does (a slot of
// its actor, the actor awake), but counted only while its socket was open, one address that
// never held more sockets than its limit kept every slot of an actor, or the node's awake
// actors, waiting for 30 s at a time.
it("counts a connection waiting for its client against its address until it is resumed or given up", async () => {
	await using t = await setupTest(twoPerAddress);
	const relay = await relayTo(Number(new URL(t.url).port));
	const connectUrl = (key: string) => acctSocketUrl(t.url, key);
	const slow = createClient<typeof registry>({
		endpoint: relay.url,
		reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
	});
	const prompt = createClient<typeof registry>({
		endpoint: relay.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 50 },
	});
	try {
		const gone = slow.acct.getOrCreate("o1").connect();
		const back = prompt.acct.getOrCreate("o2").connect();
		await gone.me();
		const { id } = await back.me();
		relay.block();
		relay.cut();
		await expect.poll(async () => (await t.client.acct.getOrCreate("o1").me()).conns).toBe(0);
		await expect.poll(async () => (await t.client.acct.getOrCreate("o2").me()).conns).toBe(0);
		// Both wait, no socket open: the address has its two.
		expect(await tryUpgrade(connectUrl("o3"), protocols, {})).toEqual({
			opened: false,
			status: 429,
		});
		// One resumed: its socket counts instead of its wait (still two).
		relay.unblock();
		await expect.poll(async () => (await t.client.acct.getOrCreate("o2").me()).conns).toBe(1);
		expect((await back.me()).id).toBe(id);
		expect(await tryUpgrade(connectUrl("o3"), protocols, {})).toEqual({
			opened: false,
			status: 429,
		});
		// The other given up: its address has one again.
		await t.clock.advance(30_000);
		await expect.poll(() => left.length).toBe(1);
		await expect
			.poll(async () => (await tryUpgrade(connectUrl("o3"), protocols, {})).opened)
			.toBe(true);
	} finally {
		await slow.dispose();
		await prompt.dispose();
		await relay.close();
	}
});

// The allowance of one socket over the address's limit is for a client coming back while its
// connections wait: any socket that offered a connection id had it (a review, 2026-11-28).
it("gives no socket over its address's limit when none of its connections waits", async () => {
	await using t = await setupTest(twoPerAddress);
	const url = (key: string) => acctSocketUrl(t.url, key);
	const open = [await rawSocket(url("k1"), protocols), await rawSocket(url("k2"), protocols)];
	const resume = [...protocols, "rivet_conn.bogus", `rivet_conn_token.${"s".repeat(20)}`];
	expect(await tryUpgrade(url("k3"), resume, {})).toEqual({ opened: false, status: 429 });
	for (const socket of open) socket.ws.close();
});
