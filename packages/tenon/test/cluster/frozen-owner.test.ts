// Requests entering at a live node for an actor whose owner froze (SIGSTOP, a
// VM pause, a black-holed network): the lease expires after its TTL, yet what
// the entry node had forwarded kept waiting on the frozen owner, up to undici's
// 300 s for a request and with no limit for an upgrade (a review, 2026-11-26).
// A forward gives up once the owner stops beating; an upgrade left unanswered
// is decided again (the actor taken over here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { streamThrough, TestCluster, upgradeOutcome, within } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const TTL = 1_000;
const rawPath = (key: string) => `/gateway/echo/request/show?rvt-method=getOrCreate&rvt-key=${key}`;
const connectPath = (key: string) => `/gateway/echo/connect?rvt-method=getOrCreate&rvt-key=${key}`;

describe("a frozen owner", () => {
	it("an HTTP request forwarded to a frozen owner is answered within the lease time (taken over, or actor/unavailable)", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		const abort = new AbortController();
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const first = await (await fetch(`${owner.url}${rawPath("frozen")}`)).json();
			expect(first.node).toBe(owner.id);
			cluster.pause(owner.id);
			const started = Date.now();
			const answer = fetch(`${entry.url}${rawPath("frozen")}`, { signal: abort.signal }).then(
				async (r) => ({ status: r.status, body: await r.text() }),
				(e) => ({ status: -1, body: String(e) }),
			);
			const outcome = await within(answer, TTL + 8_000);
			// Given up once the owner stopped beating: its outcome is unknown.
			expect(outcome).not.toBe("hung");
			expect(outcome).toMatchObject({ status: 503 });
			expect(JSON.parse((outcome as { body: string }).body)).toMatchObject({
				group: "actor",
				code: "unavailable",
			});
			expect(Date.now() - started).toBeLessThan(TTL + 4_000);
		} finally {
			abort.abort();
			await cluster.stop();
		}
	}, 60_000);

	it("a WebSocket upgrade passed through to a frozen owner is answered within the lease time", async () => {
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		let ws: WebSocket | undefined;
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const first = await (await fetch(`${owner.url}${rawPath("frozen-ws")}`)).json();
			expect(first.node).toBe(owner.id);
			cluster.pause(owner.id);
			const started = Date.now();
			const socket = new WebSocket(
				`${entry.url.replace(/^http/, "ws")}${connectPath("frozen-ws")}`,
				["rivet", "rivet_encoding.json"],
			);
			ws = socket;
			const outcome = upgradeOutcome(socket);
			const result = await within(outcome, TTL + 8_000);
			// Decided again once the owner's lease had expired: taken over here.
			expect(result).toBe("open");
			expect(Date.now() - started).toBeLessThan(TTL + 5_000);
		} finally {
			ws?.terminate();
			await cluster.stop();
		}
	}, 60_000);

	it("a streamed reply through a live node ends once its owner stops beating", async () => {
		// Watched only until the owner's headers came, such a stream stayed open for good
		// (a review, 2026-11-26).
		const cluster = new TestCluster({ leaseTtlMs: TTL, heartbeatMs: 250 });
		const client = new AbortController();
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const { reader, first } = await streamThrough(owner, entry, "frozen-stream", client.signal);
			expect(first).toContain(`hello from ${owner.id}`);
			cluster.pause(owner.id);
			const ended = reader.read().then(
				(read) => (read.done ? "ended" : "more data"),
				() => "errored",
			);
			expect(await within(ended, TTL * 2 + 6_000)).toBe("errored");
		} finally {
			client.abort();
			await cluster.stop();
		}
	}, 60_000);
});
