// What an attacker probe of the cluster's HTTP hop found (2026-11-26), each
// case against real nodes on PostgreSQL. The hop went through `fetch`, which
// is a browser's API, not a proxy's: it added headers the client never sent
// (`user-agent: undici`, `accept`, `accept-language`, `sec-fetch-mode`,
// `accept-encoding`), and Content-Encoding was dropped both ways: a client's
// gzip body reached the owner without it, and an owner's reply was
// decompressed on the way (a 50 KB gzip relayed as 50 MB) or, in an encoding
// `fetch` does not know, sent on still encoded without the header. Headers a
// message's `Connection` names (hop-by-hop, RFC 9110 section 7.6.1) went on.
// And every forward waiting on an owner asked PostgreSQL on its own whether
// the owner still beats: 400 requests a client left waiting through one node
// made it query `nodes` 390 times a second.
import { request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin, sqlAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const rawPath = (key: string, path: string, query = "") =>
	`/gateway/echo/request${path}?rvt-method=getOrCreate&rvt-key=${key}${query}`;

/** A request over node:http: exact headers out, the status, headers and body bytes back. */
function send(
	url: string,
	options: { method?: string; headers?: Record<string, string>; body?: Uint8Array } = {},
): Promise<{
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers });
		req.on("response", (res) => {
			const chunks: Buffer[] = [];
			res.on("data", (chunk: Buffer) => chunks.push(chunk));
			res.on("end", () =>
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
			);
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end(options.body);
	});
}

describe("cluster: the hop passes a message on as it came", () => {
	it("gives the owner the client's headers and body as sent: nothing added, the content coding kept, what Connection names dropped", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("as-sent", "/who")}`);
			const body = gzipSync("hello, owner");
			const answer = await send(`${entry.url}${rawPath("as-sent", "/who")}`, {
				method: "POST",
				headers: {
					"content-type": "text/plain",
					"content-encoding": "gzip",
					connection: "keep-alive, x-this-hop",
					"x-this-hop": "1",
					"x-end-to-end": "1",
				},
				body,
			});
			expect(answer.status).toBe(200);
			const seen = JSON.parse(answer.body.toString("utf8")) as {
				node: string;
				headers: Record<string, string>;
				bodyLength: number;
			};
			expect(seen.node).toBe(owner.id);
			// The body as the client encoded it, with the header that says how.
			expect(seen.headers["content-encoding"]).toBe("gzip");
			expect(seen.bodyLength).toBe(body.byteLength);
			expect(seen.headers["x-end-to-end"]).toBe("1");
			// Named in the client's Connection: for the hop to the entry node only.
			expect(seen.headers["x-this-hop"]).toBeUndefined();
			// Nothing the client did not send.
			for (const added of [
				"user-agent",
				"accept",
				"accept-language",
				"accept-encoding",
				"sec-fetch-mode",
				// The request's id went on as x-request-id before 2026-11-27.
				"x-request-id",
				"x-tenon-request-id",
			])
				expect(seen.headers[added], added).toBeUndefined();
			// A client's own id reaches the owner as sent and comes back.
			const named = await send(`${entry.url}${rawPath("as-sent", "/who")}`, {
				headers: { "x-request-id": "client-chosen-1" },
			});
			const seenNamed = JSON.parse(named.body.toString("utf8")) as {
				headers: Record<string, string>;
			};
			expect(seenNamed.headers["x-request-id"]).toBe("client-chosen-1");
			expect(named.headers["x-request-id"]).toBe("client-chosen-1");
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("passes a reply's content coding on unchanged, header and bytes, gzip or one it does not know", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("coded", "/who")}`);
			for (const as of ["gzip", "x-custom"]) {
				const path = rawPath("coded", "/encoded", `&as=${as}`);
				const direct = await send(`${owner.url}${path}`, {
					headers: { "accept-encoding": "gzip" },
				});
				const through = await send(`${entry.url}${path}`, {
					headers: { "accept-encoding": "gzip" },
				});
				expect(direct.status).toBe(200);
				expect(through.status).toBe(200);
				expect(through.headers["content-encoding"]).toBe(as);
				expect(through.body.equals(direct.body), `${as} body`).toBe(true);
			}
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("checks that an owner beats once per node, however many forwards wait on it", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 2_000, heartbeatMs: 500 });
		const leaving = new AbortController();
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${rawPath("waiting", "/who")}`);
			/** Reads of the `nodes` table so far (index and sequential scans). */
			const nodeReads = async () => {
				const [row] = await sqlAdmin().unsafe(
					`SELECT coalesce(sum(idx_scan), 0)::bigint + coalesce(sum(seq_scan), 0)::bigint AS n
					 FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'nodes'`,
					[cluster.schema],
				);
				return Number(row?.n);
			};
			// 150 requests held open through the entry node, each waiting on the owner
			// (every half lease time, each asked PostgreSQL on its own: 150 x 2 a second).
			const waiting = Array.from({ length: 150 }, () =>
				fetch(`${entry.url}${rawPath("waiting", "/hang")}`, { signal: leaving.signal }).catch(
					() => "left",
				),
			);
			await new Promise((resolve) => setTimeout(resolve, 1_500));
			const before = await nodeReads();
			await new Promise((resolve) => setTimeout(resolve, 4_000));
			const reads = (await nodeReads()) - before;
			// Heartbeats, and two checks of the owner a second: about 20, where it was 400 to 1,200.
			expect(reads).toBeLessThan(100);
			leaving.abort();
			await Promise.all(waiting);
		} finally {
			leaving.abort();
			await cluster.stop();
		}
	}, 120_000);
});
