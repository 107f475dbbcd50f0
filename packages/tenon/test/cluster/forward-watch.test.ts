// A forwarded streamed reply whose client left while the reply was not being
// read (a stalled write): the owner watch, an interval asking PostgreSQL
// whether the owner beats, ran for good (a review, 2026-11-26). It ends with
// the client's signal too, not only when the body is read to its end.
import { createServer, type Server } from "node:http";
import { afterEach, expect, it } from "vitest";
import { serveOrForward, watchedPeers } from "../../src/cluster/forward.js";
import { OwnedElsewhereError } from "../../src/storage/interfaces.js";

let server: Server | undefined;
afterEach(
	() =>
		new Promise<void>((resolve) => {
			if (server === undefined) return resolve();
			server.closeAllConnections();
			server.close(() => resolve());
		}),
);

it("a streamed forward's owner watch stops once the client has gone, read or not", async () => {
	// The owner: streams a chunk every 20 ms, for good.
	server = createServer((_req, res) => {
		res.writeHead(200, "Streaming", { "content-type": "text/event-stream" });
		const t = setInterval(() => res.write("data: x\n\n"), 20);
		res.on("close", () => clearInterval(t));
	});
	const owner = server;
	await new Promise<void>((resolve) => owner.listen(0, "127.0.0.1", () => resolve()));
	const port = (owner.address() as { port: number }).port;
	let checks = 0;
	const client = new AbortController();
	const request = new Request("http://entry.test/gateway/x/stream", { signal: client.signal });
	const response = await serveOrForward(
		request,
		undefined,
		{
			leaseTtlMs: 200,
			peerSecret: "s",
			forwardedFor: undefined,
			internal: false,
			hops: 0,
			callDepth: 0,
			ownerAlive: async () => {
				checks++;
				return true;
			},
		},
		async () => {
			throw new OwnedElsewhereError("actor-1", {
				nodeId: "owner",
				address: `http://127.0.0.1:${port}`,
			});
		},
	);
	// The writer reads one chunk, then stalls (a slow client: res.write returned false),
	// and the client goes (its 'drain' never comes).
	// The watched body keeps the owner's status line (its text was dropped).
	expect([response.status, response.statusText]).toEqual([200, "Streaming"]);
	const reader = response.body?.getReader();
	if (reader === undefined) throw new Error("no body");
	await reader.read();
	await new Promise((r) => setTimeout(r, 100));
	client.abort();
	await new Promise((r) => setTimeout(r, 200));
	const after = checks;
	await new Promise((r) => setTimeout(r, 600));
	expect(checks - after).toBe(0);
});

it("forwards waiting on one owner share one check that it beats (one query a tick, not one each)", async () => {
	// Each forward had its own interval and PostgreSQL query: 400 requests a client left
	// waiting through a node made it query 390 times a second (an attacker probe, 2026-11-26).
	server = createServer((_req, res) => {
		res.writeHead(200, { "content-type": "text/event-stream" });
		res.write("data: open\n\n");
	});
	const owner = server;
	await new Promise<void>((resolve) => owner.listen(0, "127.0.0.1", () => resolve()));
	const port = (owner.address() as { port: number }).port;
	let checks = 0;
	const clients = Array.from({ length: 50 }, () => new AbortController());
	const forwards = clients.map((client) =>
		serveOrForward(
			new Request("http://entry.test/gateway/x/stream", { signal: client.signal }),
			undefined,
			{
				leaseTtlMs: 200,
				peerSecret: "shared-watch",
				forwardedFor: undefined,
				internal: false,
				hops: 0,
				callDepth: 0,
				ownerAlive: async () => {
					checks++;
					return true;
				},
			},
			async () => {
				throw new OwnedElsewhereError("actor-1", {
					nodeId: "owner",
					address: `http://127.0.0.1:${port}`,
				});
			},
		),
	);
	const responses = await Promise.all(forwards);
	const started = checks;
	await new Promise((r) => setTimeout(r, 1_000));
	// A check every 100 ms (half the lease time) for all 50: about 10, where it was 500.
	expect(checks - started).toBeLessThanOrEqual(15);
	expect(watchedPeers()).toBe(1);
	for (const client of clients) client.abort();
	await Promise.all(responses.map((response) => response.body?.cancel().catch(() => {})));
	await new Promise((r) => setTimeout(r, 300));
	expect(watchedPeers()).toBe(0);
	const after = checks;
	await new Promise((r) => setTimeout(r, 300));
	expect(checks).toBe(after);
});

// A request no owner took until the lease time was over never ran: its error says so
// (`metadata.ran: false`), where one that reached an owner that failed may have run (a
// cluster walkthrough, 2026-11-29: calls a stopping owner refused unrun read "outcome unknown").
it("a request no owner ran by the lease time fails actor/unavailable with ran: false", async () => {
	const request = new Request("http://entry.test/gateway/x/action/add", { method: "POST" });
	await expect(
		serveOrForward(
			request,
			undefined,
			{
				leaseTtlMs: 0,
				peerSecret: "s",
				forwardedFor: undefined,
				internal: false,
				hops: 0,
				callDepth: 0,
			},
			async () => {
				// An owner with no address yet: nothing is sent, tried again until the deadline.
				throw new OwnedElsewhereError("actor-1", { nodeId: "owner", address: "" });
			},
		),
	).rejects.toMatchObject({ group: "actor", code: "unavailable", metadata: { ran: false } });
}, 10_000);
