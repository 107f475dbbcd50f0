// HTTP request bodies the node holds at once, read and not yet answered. A
// body's slot (`maxConcurrentRequestBodies`) was given back once it was
// read, and nothing counted the bodies afterwards: calls to an action that
// waits (on a service, a queue, its turn) held every body they carried, 256
// connections of one address × 20 MiB at the defaults (a cluster probe saw
// 40 bodies of 19 MB hold 2.2 GB, 2026-11-27). `maxBufferedBodyBytes`
// bounds them per node: past it, `503 limit/overloaded` until some are answered.
import { connect } from "node:net";
import { actor, queue, setup } from "tenon";
import { setupTest } from "tenon/test";
import { afterEach, expect, it } from "vitest";

const KiB = 1024;
let opened: (() => void) | undefined;
let gate = new Promise<void>((resolve) => (opened = resolve));
afterEach(() => {
	opened?.();
	gate = new Promise<void>((resolve) => (opened = resolve));
});

const waiter = actor({
	state: {},
	// Nothing reads it: a sender that waits holds its request (and body) until its timeout.
	queues: { inbox: queue<string>() },
	actions: {
		/** Waits until the test opens the gate, holding its argument. */
		hold: async (_c, text: string) => {
			await gate;
			return text.length;
		},
		ping: () => "pong",
	},
});

const registry = setup({
	use: { waiter },
	logLevel: "silent",
	limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 600 * KiB },
});

const post = (url: string, action: string, args: unknown[], key = "w") =>
	fetch(`${url}/gateway/waiter/action/${action}?rvt-method=getOrCreate&rvt-key=${key}`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ args }),
	});

it("refuses a body past the node's budget while others are held, and takes it once they are answered", async () => {
	await using t = await setupTest(registry);
	const big = "x".repeat(250 * KiB);
	const held = [post(t.url, "hold", [big]), post(t.url, "hold", [big], "v")];
	// Both read and waiting in their actions.
	await new Promise((resolve) => setTimeout(resolve, 300));
	const refused = await post(t.url, "hold", [big], "u");
	expect(refused.status).toBe(503);
	expect(await refused.json()).toMatchObject({ group: "limit", code: "overloaded" });
	expect(refused.headers.get("retry-after")).toBe("1");
	// Small calls still fit; the server keeps serving.
	expect(await (await post(t.url, "ping", [])).json()).toEqual({ output: "pong" });
	opened?.();
	for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
	// Let go once answered: the same body goes through now.
	const again = await post(t.url, "hold", [big], "u");
	expect(await again.json()).toEqual({ output: big.length });
});

it("takes one body larger than the budget when nothing else is held", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 256 * KiB, maxBufferedBodyBytes: 100 * KiB },
		}),
	);
	opened?.();
	const answer = await post(t.url, "hold", ["y".repeat(200 * KiB)]);
	expect(await answer.json()).toEqual({ output: 200 * KiB });
});

it("counts the bodies of every route, mounted in another server too (a queue send that waits)", async () => {
	// Queue messages are at most 64 KiB: a smaller budget for them.
	const small = setup({
		use: { waiter },
		logLevel: "silent",
		limits: { maxBufferedBodyBytes: 100 * KiB },
	});
	const handler = small.handler;
	const send = (key: string, timeout: number) =>
		handler(
			new Request(
				`http://localhost/gateway/waiter/queue/inbox?rvt-method=getOrCreate&rvt-key=${key}`,
				{
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ body: "z".repeat(40 * KiB), wait: true, timeout }),
				},
			),
		);
	const waiting = [send("q1", 1_500), send("q2", 1_500)];
	await new Promise((resolve) => setTimeout(resolve, 300));
	const refused = await send("q3", 100);
	expect(refused.status).toBe(503);
	expect(await refused.json()).toMatchObject({ group: "limit", code: "overloaded" });
	for (const answer of await Promise.all(waiting))
		expect(await answer.json()).toMatchObject({ status: "timedOut" });
	// Answered: let go.
	expect(await (await send("q3", 100)).json()).toMatchObject({ status: "timedOut" });
	await small.stop();
});

it("gives one client address a share of the budget (per-address limits on)", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: {
				maxHttpBodyBytes: 256 * KiB,
				maxBufferedBodyBytesPerAddress: 300 * KiB,
			},
			rateLimits: { limitLoopback: true },
		}),
	);
	const big = "x".repeat(200 * KiB);
	const held = post(t.url, "hold", [big]);
	await new Promise((resolve) => setTimeout(resolve, 300));
	// This address holds 200 KiB of its 300: another 200 is refused.
	const refused = await post(t.url, "hold", [big], "v");
	expect(refused.status).toBe(503);
	expect(await refused.json()).toMatchObject({ group: "limit", code: "overloaded" });
	opened?.();
	expect((await held).status).toBe(200);
});

// The first version reserved a body's declared length when its read began: two sockets each
// declaring 300 KiB and sending ten bytes (at the rate floor, for hours) had every request
// with a body refused (a review, 2026-11-28). Bytes count as they arrive now.
it("counts what a body sent, not what it declared: a dripping body holds no budget", async () => {
	await using t = await setupTest(
		setup({
			use: { waiter },
			logLevel: "silent",
			limits: { maxHttpBodyBytes: 512 * KiB, maxBufferedBodyBytes: 600 * KiB },
		}),
	);
	const url = new URL(t.url);
	const dripping = [1, 2].map(() => {
		const socket = connect(Number(url.port), url.hostname);
		socket.on("error", () => {});
		socket.write(
			`POST /gateway/waiter/action/hold?rvt-method=getOrCreate&rvt-key=d HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${300 * KiB}\r\n\r\n{"args":["xx`,
		);
		return socket;
	});
	await new Promise((resolve) => setTimeout(resolve, 200));
	const small = await post(t.url, "ping", [], "s");
	expect(await small.json()).toEqual({ output: "pong" });
	for (const socket of dripping) socket.destroy();
});
