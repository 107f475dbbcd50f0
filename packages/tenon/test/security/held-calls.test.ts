// Action calls over a connection held their arguments for as long as the action ran, counted
// nowhere: HTTP bodies count against `maxBufferedBodyBytes` until answered (held-bodies.test.ts),
// but 32 sockets sending 128 calls of 60 KB each to an action that waits grew the heap by 491 MB,
// and one address's 256 sockets would have held 2 GiB (a review of the availability findings,
// 2026-11-29). Each call's frame now counts with the bodies until its action returns.
import { actor, setup } from "tenon";
import { createClient } from "tenon/client";
import { setupTest } from "tenon/test";
import { afterEach, expect, it } from "vitest";
import { rawSocket } from "../helpers/raw.js";

const KiB = 1024;
let opened: (() => void) | undefined;
let gate = new Promise<void>((resolve) => (opened = resolve));
afterEach(() => {
	opened?.();
	gate = new Promise<void>((resolve) => (opened = resolve));
});

const waiter = actor({
	state: {},
	actions: {
		/** Waits until the test opens the gate, holding its argument. */
		hold: async (_c, text: string) => {
			await gate;
			return text.length;
		},
		ping: () => "pong",
	},
});

const big = "x".repeat(60 * KiB);
const settle = (calls: Promise<unknown>[]) =>
	Promise.all(
		calls.map((call) =>
			call.then(
				(value) => ({ value }),
				(error) => ({ error }),
			),
		),
	);
/** A 100 KiB HTTP body to another actor: does it fit beside what is held? */
const postBody = (url: string) =>
	fetch(`${url}/gateway/waiter/action/ping?rvt-method=getOrCreate&rvt-key=h`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ args: ["y".repeat(100 * KiB)] }),
	});
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("refuses calls past the node's budget while others wait, shares it with HTTP bodies, and lets go as they return", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 600 * KiB },
		}),
	);
	const client = createClient<typeof registry>(t.url);
	const conn = client.waiter.getOrCreate(["w"]).connect();
	try {
		const calls = settle(Array.from({ length: 14 }, () => conn.hold(big)));
		await pause(300);
		// The server keeps serving: a small call fits beside the held ones.
		expect(await conn.ping()).toBe("pong");
		// An HTTP body does not fit beside them either.
		const body = await fetch(
			`${t.url}/gateway/waiter/action/hold?rvt-method=getOrCreate&rvt-key=h`,
			{
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ args: ["y".repeat(100 * KiB)] }),
			},
		);
		expect(body.status).toBe(503);
		expect(await body.json()).toMatchObject({ group: "limit", code: "overloaded" });
		opened?.();
		const results = await calls;
		const held = results.filter((result) => "value" in result);
		const refused = results.filter((result) => "error" in result);
		// 600 KiB hold nine frames of 60 KiB and a bit: the rest are refused at once.
		expect(held.length).toBe(9);
		for (const result of held) expect(result).toEqual({ value: 60 * KiB });
		for (const result of refused)
			expect((result as { error: unknown }).error).toMatchObject({
				group: "limit",
				code: "overloaded",
				metadata: { retryAfter: 1_000 },
			});
		// Returned: let go, the same calls fit again.
		gate = new Promise<void>((resolve) => (opened = resolve));
		const again = settle(Array.from({ length: 9 }, () => conn.hold(big)));
		await pause(300);
		opened?.();
		expect((await again).every((result) => "value" in result)).toBe(true);
	} finally {
		await conn.dispose();
	}
});

it("gives one client address a share, released when its calls return after their socket closed", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: { maxBufferedBodyBytesPerAddress: 300 * KiB },
			rateLimits: { limitLoopback: true },
		}),
	);
	const client = createClient<typeof registry>(t.url);
	const first = client.waiter.getOrCreate(["a"]).connect();
	const calls = settle(Array.from({ length: 6 }, () => first.hold(big)));
	await pause(300);
	const second = client.waiter.getOrCreate(["b"]).connect();
	try {
		// The address holds four frames and a bit of its 300 KiB, on another actor too.
		await expect(second.hold(big)).rejects.toMatchObject({ group: "limit", code: "overloaded" });
		expect(await second.ping()).toBe("pong");
		await first.dispose();
		await calls;
		opened?.();
		// The closed socket's calls returned: their bytes went back.
		await pause(100);
		gate = new Promise<void>((resolve) => (opened = resolve));
		const again = settle(Array.from({ length: 4 }, () => second.hold(big)));
		await pause(300);
		opened?.();
		expect((await again).every((result) => "value" in result)).toBe(true);
	} finally {
		await second.dispose();
	}
});

// An attacker probe, 2026-11-29: a call of a few bytes counted its frame (78 B) while it held
// about 3.6 KB of heap as it ran; sockets closed and opened again (a new one gets 128 calls
// more) piled up 13,440 calls (48 MB) before 1 MiB was counted. A call counts at least 2 KiB.
it("counts each call at least 2 KiB, however small its frame", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 16 * KiB, maxBufferedBodyBytes: 32 * KiB },
		}),
	);
	const client = createClient<typeof registry>(t.url);
	const conn = client.waiter.getOrCreate(["small"]).connect();
	try {
		const calls = settle(Array.from({ length: 20 }, () => conn.hold("x")));
		await pause(300);
		opened?.();
		const results = await calls;
		// 32 KiB hold sixteen calls of 2 KiB: the rest are refused at once.
		expect(results.filter((result) => "value" in result)).toHaveLength(16);
		for (const result of results.filter((result) => "error" in result))
			expect((result as { error: unknown }).error).toMatchObject({
				group: "limit",
				code: "overloaded",
			});
	} finally {
		await conn.dispose();
	}
});

// A review of the first version (2026-11-29): bytes were released only as an action returned,
// and one awaiting something of an instance that died (here a resolver in its vars) never
// returns: after a destroy they stayed counted for good, and bodies elsewhere were refused.
const stuck = actor({
	state: {},
	createVars: () => ({ waiting: [] as (() => void)[] }),
	actions: {
		hold: (c, text: string) =>
			new Promise<number>((resolve) => c.vars.waiting.push(() => resolve(text.length))),
		destroy: (c) => c.destroy(),
	},
});

it("lets go of the calls of an instance that stopped, though their actions never return", async () => {
	await using t = await setupTest(
		setup({
			use: { stuck, waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 600 * KiB },
		}),
	);
	const client = createClient<typeof registry>(t.url);
	const conn = client.stuck.getOrCreate(["s"]).connect();
	const calls = settle(Array.from({ length: 9 }, () => conn.hold(big)));
	await pause(300);
	const post = () => postBody(t.url);
	expect((await post()).status).toBe(503);
	const destroyed = client.stuck.getOrCreate(["s"]).destroy();
	// The instance's grace period for its running actions passes (the test server's clock).
	let settled = false;
	void calls.then(() => {
		settled = true;
	});
	for (let i = 0; i < 60 && !settled; i++) await t.clock.advance(1_000);
	await destroyed;
	await conn.dispose();
	await expect.poll(async () => (await post()).status).toBe(200);
});

// An attacker probe's open finding (2026-11-29): a hibernated connection's frames wait in its
// socket while the actor wakes, counted by number only (128 frames of 64 KiB: 8 MiB a socket,
// an address's sockets 2 GiB, behind an `onWake` that waits on a service). They now count with
// the held request bytes from their arrival, as the calls they become do once they run.
let woken: (() => void) | undefined;
let slowWakes = false;
const slowWake = actor({
	state: {},
	onWake: () => (slowWakes ? new Promise<void>((resolve) => (woken = resolve)) : undefined),
	actions: {
		length: (_c, text: string) => text.length,
		sleep: (c) => c.sleep(),
	},
	options: { sleepTimeout: 60_000 },
});

it("counts the frames a hibernated connection holds while its actor wakes, and lets go as they run", async () => {
	await using t = await setupTest(
		setup({
			use: { slowWake, waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 600 * KiB },
		}),
	);
	const client = createClient<typeof registry>(t.url);
	const handle = client.slowWake.getOrCreate(["s"]);
	const conn = handle.connect();
	const post = () => postBody(t.url);
	try {
		await conn.sleep();
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		slowWakes = true;
		const calls = settle(Array.from({ length: 14 }, () => conn.length(big)));
		await pause(300);
		// The actor still wakes: nine frames of 60 KiB fill the 600 KiB, the rest are refused
		// at once, and a body elsewhere does not fit beside them.
		expect((await post()).status).toBe(503);
		woken?.();
		const results = await calls;
		expect(results.filter((result) => "value" in result)).toHaveLength(9);
		for (const result of results.filter((result) => "error" in result))
			expect((result as { error: unknown }).error).toMatchObject({
				group: "limit",
				code: "overloaded",
			});
		// Handed to the actor and answered: let go.
		expect((await post()).status).toBe(200);
	} finally {
		slowWakes = false;
		woken?.();
		await conn.dispose();
	}
});

// The same for a raw socket's frames (1 MiB a socket, 512 sockets an address): past the budget
// the socket closes, "try again later", as past its own bound.
let rawWoken: (() => void) | undefined;
let slowRawWakes = false;
const slowRaw = actor({
	state: {},
	onWake: () => (slowRawWakes ? new Promise<void>((resolve) => (rawWoken = resolve)) : undefined),
	onWebSocket: (_c, ws) => {
		ws.addEventListener("message", (event) => ws.send(String(event.data).length.toString()));
	},
	actions: { ping: () => "pong" },
	options: { sleepTimeout: 1_000, canHibernateWebSocket: () => true },
});

it("counts a hibernated raw socket's frames while its actor wakes, and closes it past the budget", async () => {
	await using t = await setupTest(
		setup({
			use: { slowRaw, waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 600 * KiB },
		}),
	);
	const url = `${t.url.replace(/^http/, "ws")}/gateway/slowRaw/websocket/?rvt-method=getOrCreate&rvt-key=r`;
	const socket = await rawSocket(url, []);
	const post = () => postBody(t.url);
	try {
		socket.ws.send("a");
		await expect.poll(() => socket.messages).toEqual(["1"]);
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		slowRawWakes = true;
		// Five frames of 120 KiB wait for the wake: a body of 100 KiB does not fit beside them.
		for (let i = 0; i < 5; i++) socket.ws.send("z".repeat(120 * KiB));
		await pause(300);
		expect((await post()).status).toBe(503);
		socket.ws.send("z".repeat(120 * KiB));
		expect(await socket.closed).toEqual({ code: 1013, reason: "limit.overloaded" });
		// Dropped with the socket: let go.
		await expect.poll(async () => (await post()).status).toBe(200);
	} finally {
		slowRawWakes = false;
		rawWoken?.();
		socket.ws.close();
	}
});

const registry = setup({ use: { waiter, stuck, slowWake, slowRaw } });
