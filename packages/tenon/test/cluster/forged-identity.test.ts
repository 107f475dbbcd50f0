// An attacker probe of cluster mode (2026-11-26), kept as a guard: a client
// hitting any node's public port cannot reach the routes nodes call each
// other on, nor pass for a peer. The cluster's own headers (the client's
// address, `internal`, the call depth, the hop count, a connection link)
// are the entry node's word, never the client's, over HTTP and WebSocket,
// whether the request is served where it entered or passed to the owner.
// The client connects from 127.0.0.2, so its address is told apart from the
// nodes' own (127.0.0.1).
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const CLIENT = "127.0.0.2";
const who = (key: string) => `/gateway/echo/request/who?rvt-method=getOrCreate&rvt-key=${key}`;

/** What a client would forge: every header the cluster's nodes add, and the usual proxy ones. */
const FORGED: Record<string, string> = {
	"x-tenon-forwarded-for": "10.9.9.9",
	"x-tenon-internal": "1",
	"x-tenon-call-depth": "5",
	"x-tenon-hops": "0",
	"x-tenon-forwarded-host": "evil.example",
	"x-tenon-link": "someconn",
	"x-tenon-holder": "node-1",
	"x-forwarded-for": "10.8.8.8",
	forwarded: "for=10.7.7.7",
};

function send(
	url: string,
	options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, {
			method: options.method ?? "GET",
			headers: options.headers,
			localAddress: CLIENT,
		});
		req.on("response", (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (chunk) => {
				body += chunk;
			});
			res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end();
	});
}

/** Opens a connection with the forged headers and asks the owner what it believes of it. */
async function whoOverSocket(url: string, key: string): Promise<Record<string, unknown>> {
	const ws = new WebSocket(
		`${url.replace(/^http/, "ws")}/gateway/echo/connect?rvt-method=getOrCreate&rvt-key=${key}`,
		["rivet", "rivet_encoding.json"],
		{ headers: FORGED, localAddress: CLIENT },
	);
	try {
		const messages: { body?: { tag: string; val: { id?: number; output?: unknown } } }[] = [];
		ws.on("message", (data) => messages.push(JSON.parse(data.toString())));
		await new Promise<void>((resolve, reject) => {
			ws.once("open", () => resolve());
			ws.once("error", reject);
		});
		await expect.poll(() => messages.some((m) => m.body?.tag === "Init")).toBe(true);
		ws.send(
			JSON.stringify({ body: { tag: "ActionRequest", val: { id: 1, name: "whoConn", args: [] } } }),
		);
		await expect.poll(() => messages.find((m) => m.body?.tag === "ActionResponse")).toBeDefined();
		return messages.find((m) => m.body?.tag === "ActionResponse")?.body?.val.output as Record<
			string,
			unknown
		>;
	} finally {
		ws.terminate();
	}
}

describe("cluster: a client cannot pass for a node", () => {
	it("cannot reach the peer routes, whatever the path or the secret it guesses", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const node = await cluster.start();
			await cluster.start();
			for (const path of [
				"/.tenon/peer/actors/abc/link",
				"/.tenon/peer/actors/abc/link/",
				"/.tenon/peer/",
				"/x/../.tenon/peer/actors/abc/link",
			]) {
				for (const headers of [{}, { "x-tenon-peer": "" }, { "x-tenon-peer": "guess" }] as Record<
					string,
					string
				>[]) {
					const answer = await send(`${node.url}${path}`, { method: "POST", headers });
					expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
					expect(JSON.parse(answer.body)).toMatchObject({ group: "auth", code: "forbidden" });
				}
			}
			// The ping a peer asks before it gives up on a node: the same.
			for (const method of ["GET", "POST"]) {
				const answer = await send(`${node.url}/.tenon/peer/ping`, {
					method,
					headers: { "x-tenon-peer": "guess" },
				});
				expect(answer.status, method).toBe(403);
			}
			// Spelled so that it is not the peer prefix: no route at all.
			for (const path of ["/%2Etenon/peer/actors/abc/link", "//.tenon/peer/actors/abc/link"])
				expect((await send(`${node.url}${path}`, { method: "POST" })).status).toBe(404);
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("is seen by the owner as what it is, over HTTP and WebSocket, however it came in", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			await send(`${owner.url}${who("forged")}`);
			for (const node of [owner, entry]) {
				const answer = await send(`${node.url}${who("forged")}`, { headers: FORGED });
				expect(answer.status, node.id).toBe(200);
				const seen = JSON.parse(answer.body) as Record<string, unknown> & {
					headers: Record<string, string>;
				};
				expect(seen, node.id).toMatchObject({
					node: owner.id,
					remoteAddress: CLIENT,
					internal: false,
					callDepth: 0,
				});
				for (const name of Object.keys(seen.headers)) expect(name).not.toMatch(/^x-tenon-/);
				expect(await whoOverSocket(node.url, "forged"), node.id).toMatchObject({
					node: owner.id,
					remoteAddress: CLIENT,
					internal: false,
					callDepth: 0,
				});
			}
		} finally {
			await cluster.stop();
		}
	}, 120_000);
});
