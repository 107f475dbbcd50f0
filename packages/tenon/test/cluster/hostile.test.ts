// What an attacker probe of cluster mode found (2026-11-25), each case
// against real nodes on PostgreSQL: requests that enter at a node that does
// not own the actor must behave as they do at the owner.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { type RawSocket, rawSocket, tryUpgrade } from "../helpers/raw.js";
import { type ClusterClient, callTally, TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const rawPath = (key: string, path: string) =>
	`/gateway/echo/request${path}?rvt-method=getOrCreate&rvt-key=${key}`;
const connectPath = (key: string) => `/gateway/echo/connect?rvt-method=getOrCreate&rvt-key=${key}`;
const PROTOCOLS = ["rivet", "rivet_encoding.json"];

/** A raw request over node:http (exact headers), its status, headers and body. */
function send(
	url: string,
	options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers });
		req.on("response", (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (chunk) => {
				body += chunk;
			});
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on("error", reject);
		if (options.headers?.expect === "100-continue") req.on("continue", () => req.end(options.body));
		else req.end(options.body);
	});
}

describe("cluster: an actor's connection to an actor another node owns", () => {
	it("shows the owner the host the call was made to, not the owner's own address", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const caller = await cluster.start();
			// echo "far" lives on `owner`; tally "near" on `caller`, which connects to it in-process.
			expect(JSON.parse((await send(`${owner.url}${rawPath("far", "/show")}`)).body).node).toBe(
				owner.id,
			);
			const answer = await callTally(caller.url, "near", "connectEcho", ["far"]);
			const seen = (answer.body as { output?: unknown }).output as {
				node: string;
				internal: boolean;
				url: string;
			};
			expect(seen).toMatchObject({ node: owner.id, internal: true });
			// Before 2026-11-29 the owner's own host and port (the proxied socket's Host).
			expect(new URL(seen.url).host).toBe("tenon.local");
		} finally {
			await cluster.stop();
		}
	}, 60_000);
});

describe("cluster: what a client sends through a node that does not own the actor", () => {
	it("never shows the cluster's headers to onRequest, keeps every Set-Cookie, and forwards Expect: 100-continue bodies", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const direct = await send(`${owner.url}${rawPath("h", "/show")}`);
			expect(JSON.parse(direct.body).node).toBe(owner.id);

			const through = await send(`${entry.url}${rawPath("h", "/show")}`, {
				headers: { "x-tenon-forwarded-for": "203.0.113.9", "x-tenon-hops": "0" },
			});
			expect(through.status).toBe(200);
			const seen = JSON.parse(through.body) as {
				node: string;
				url: string;
				callerUrl: string;
				headers: Record<string, string>;
			};
			expect(seen.node).toBe(owner.id);
			// The URL and Host the client used, not the owner's address.
			const entryHost = new URL(entry.url).host;
			expect(seen.headers.host).toBe(entryHost);
			expect(new URL(seen.url).host).toBe(entryHost);
			expect(new URL(seen.callerUrl).host).toBe(entryHost);
			// The forwarded request carried the cluster secret: the handler must not see it.
			for (const name of Object.keys(seen.headers)) expect(name).not.toMatch(/^x-tenon-/);
			expect(through.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);

			// curl sends Expect: 100-continue with every body over 1 MB; fetch refuses the
			// header, and the forward failed as "outcome unknown" though nothing was sent.
			const expecting = await send(`${entry.url}${rawPath("h", "/show")}`, {
				method: "POST",
				headers: { expect: "100-continue", "content-type": "text/plain" },
				body: "x".repeat(1000),
			});
			expect(expecting.status).toBe(200);
			expect(JSON.parse(expecting.body).node).toBe(owner.id);
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("answers a head too large to forward with request/headers_too_large, not a bare 400 from the owner", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("head", "/show")}`);
			// Under Node's 16 KiB limit where it enters, over it with what the entry node adds.
			const headers = { "x-padding": "p".repeat(16_384 - 700) };
			expect((await send(`${owner.url}${rawPath("head", "/show")}`, { headers })).status).toBe(200);
			const through = await send(`${entry.url}${rawPath("head", "/show")}`, { headers });
			expect(through.status).toBe(431);
			expect(JSON.parse(through.body)).toMatchObject({
				group: "request",
				code: "headers_too_large",
			});
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("answers an upgrade head too large to pass through with request/headers_too_large, not a bare 400", async () => {
		// The upgrade's pass-through relayed the owner's parser error as is (a review, 2026-11-26).
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("uphead", "/show")}`);
			const path = "/gateway/echo/connect?rvt-method=getOrCreate&rvt-key=uphead";
			const ws = (url: string) => `${url.replace(/^http/, "ws")}${path}`;
			const headers = { "x-padding": "p".repeat(16_384 - 350) };
			const protocols = ["rivet", "rivet_encoding.json"];
			expect((await tryUpgrade(ws(owner.url), protocols, headers)).opened).toBe(true);
			expect(await tryUpgrade(ws(entry.url), protocols, headers)).toEqual({
				opened: false,
				status: 431,
			});
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("ignores a hop count a client sets (it failed its own calls as 'ownership kept moving')", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("hops", "/show")}`);
			const answer = await send(`${entry.url}${rawPath("hops", "/show")}`, {
				headers: { "x-tenon-hops": "2" },
			});
			expect(answer.status).toBe(200);
			expect(JSON.parse(answer.body).node).toBe(owner.id);
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("ends a forwarded request's wait when its client leaves", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		const clients: ClusterClient[] = [];
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			const client = cluster.client(owner.id);
			clients.push(client);
			expect(await client.echo.getOrCreate("leaves").whereAmI()).toBe(owner.id);
			const leaving = new AbortController();
			const hanging = fetch(`${entry.url}${rawPath("leaves", "/hang")}`, {
				signal: leaving.signal,
			}).catch(() => "aborted");
			// Left once the owner's handler waits (a fixed 300 ms could end it before it ran).
			await expect.poll(() => client.echo.getOrCreate("leaves").hanging()).toBe(1);
			leaving.abort();
			expect(await hanging).toBe("aborted");
			await expect.poll(() => client.echo.getOrCreate("leaves").abandoned()).toBe(1);
		} finally {
			for (const client of clients) await client.dispose();
			await cluster.stop();
		}
	}, 120_000);

	it("counts sockets passed through another node against the client's address", async () => {
		const cluster = new TestCluster({
			leaseTtlMs: 10_000,
			heartbeatMs: 1_000,
			env: { TENON_MAX_CONNECTIONS_PER_ADDRESS: "4" },
		});
		const open: RawSocket[] = [];
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("sockets", "/show")}`);
			const ws = (node: string) =>
				`${cluster.node(node).url.replace(/^http/, "ws")}${connectPath("sockets")}`;
			for (let i = 0; i < 4; i++) open.push(await rawSocket(ws(entry.id), PROTOCOLS));
			// Through the same entry node, and straight to the owner: the address has its 4.
			await expect(rawSocket(ws(entry.id), PROTOCOLS)).rejects.toThrow(/HTTP 429/);
			await expect(rawSocket(ws(owner.id), PROTOCOLS)).rejects.toThrow(/HTTP 429/);
		} finally {
			for (const socket of open) socket.ws.terminate();
			await cluster.stop();
		}
	}, 120_000);

	it("keeps serving, and reconnects, while the owner's node row is missing (a restart under the same id deleted it)", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 500 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("row", "/show")}`);
			// Frozen, the owner sends no heartbeat that could bring its row back before the
			// upgrade below asks where the actor lives; its lease (10 s) still holds.
			cluster.pause(owner.id);
			await sqlAdmin().unsafe(`DELETE FROM ${cluster.schema}.nodes WHERE node_id = $1`, [owner.id]);
			const url = `${entry.url.replace(/^http/, "ws")}${connectPath("row")}`;
			const upgrading = tryUpgrade(url, PROTOCOLS, {});
			const calling = send(`${entry.url}${rawPath("row", "/show")}`);
			await new Promise((resolve) => setTimeout(resolve, 1_000));
			// The entry node is alive (an upgrade toward an owner without an address ended it).
			expect((await send(`${entry.url}${rawPath("other", "/show")}`)).status).toBe(200);
			cluster.resume(owner.id);
			// The owner's next heartbeat puts its row back; both calls reach it.
			expect((await upgrading).opened).toBe(true);
			const answer = await calling;
			expect(answer.status).toBe(200);
			expect(JSON.parse(answer.body).node).toBe(owner.id);
		} finally {
			await cluster.stop();
		}
	}, 120_000);
});
