// What an attacker probe of the MCP endpoint found (2026-11-29): its bodies'
// parsing and checks were not charged to the caller's decode time (40 KB
// bodies, four at a time, took about a second of the loop every second and
// were never refused); the tools could not know the caller's address; the
// handler's own client's failures (host, port, path, OS error) reached the
// caller; refusals quoted the caller's keys whole, twice; an empty batch was
// accepted (202); a long protocol-version header came back whole.
import { performance as nodePerformance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient } from "../../src/client/index.js";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { type McpCallerInfo, mcpHandler } from "../../src/mcp/index.js";
import { lateBoundClient, mcpPost } from "./fixture.js";

const counter = actor({
	state: { n: 0 },
	actions: { add: (c, values: number[]) => (c.state.n += values.length) },
});
// Loopback limited like any address, as a server behind nothing would limit its clients, with
// a tenth of the loop's time for decoding and no burst (so a few seconds show the rate).
const registry = setup({
	use: { counter },
	rateLimits: { limitLoopback: true, decodeTime: { perAddress: { perSecond: 100, burst: 100 } } },
	logLevel: "silent",
});
const { client: tenon, listening } = lateBoundClient<typeof registry>();
// An endpoint that is down, with a path and a query the caller must not see.
const unreachable = createClient<typeof registry>("http://127.0.0.1:1/secret-internal-path");
const seen: { params: McpCallerInfo[]; context: { remoteAddress?: string; clientKey?: string }[] } =
	{ params: [], context: [] };
let server: TenonServer;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		storage: memoryDriver(),
		fallback: mcpHandler({
			name: "bounds",
			version: "1.0.0",
			client: tenon,
			params: (_request, caller) => {
				seen.params.push(caller);
				return undefined;
			},
			tools: {
				add: {
					description: "Adds values",
					input: z.object({ key: z.string(), values: z.array(z.number()) }),
					call: (client, { key, values }, params, context) => {
						seen.context.push({
							remoteAddress: context.remoteAddress,
							clientKey: context.clientKey,
						});
						return client.counter.getOrCreate(key, { params }).add(values);
					},
				},
				down: {
					description: "Calls through a client whose endpoint is down",
					input: z.object({}),
					call: () => unreachable.counter.getOrCreate("x").add([]),
				},
			},
		}),
	});
	listening(server.url);
});

afterAll(async () => {
	await tenon.dispose();
	await unreachable.dispose();
	await server?.close();
});

const callOf = (name: string, args: unknown, id: number | string = 1) =>
	JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

describe("the MCP endpoint and its caller", () => {
	it("gives params() and the tools the caller's address", async () => {
		const answer = await mcpPost(server.url, callOf("add", { key: "k", values: [1] }));
		expect(answer.status).toBe(200);
		expect(seen.params.at(-1)).toMatchObject({
			remoteAddress: "127.0.0.1",
			clientKey: "127.0.0.1",
		});
		expect(seen.context.at(-1)).toEqual({ remoteAddress: "127.0.0.1", clientKey: "127.0.0.1" });
	}, 30_000);

	it("answers its own client's failures as an internal error, without the endpoint", async () => {
		const answer = await mcpPost(server.url, callOf("down", {}));
		const text = JSON.stringify(await answer.json());
		expect(text).toContain("core/internal_error");
		expect(text).not.toContain("secret-internal-path");
		expect(text).not.toContain("ECONNREFUSED");
	});

	it("cuts the caller's keys it quotes in a refusal", async () => {
		const args = Object.fromEntries(
			Array.from({ length: 20 }, (_, i) => [`${i}${"k".repeat(12_000)}`, 1]),
		);
		const answer = await mcpPost(server.url, callOf("add", { key: "k", values: [], ...args }));
		const text = await answer.text();
		expect(text).toContain("request/invalid_args");
		expect(text.length).toBeLessThan(20_000);
	});

	it("refuses an empty batch and a protocol version that is not one", async () => {
		const empty = await mcpPost(server.url, "[]");
		expect(empty.status).toBe(400);
		expect(await empty.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
		const version = await mcpPost(server.url, callOf("add", { key: "k", values: [] }), {
			"mcp-protocol-version": "x".repeat(5_000),
		});
		expect(version.status).toBe(400);
		expect((await version.text()).length).toBeLessThan(500);
	});
	it("charges a body's parsing and checks to its caller's decode time: its bodies wait their turn", async () => {
		// About 40 KB of values the tool's schema checks one by one (the probe's 86 ms a body).
		const body = callOf("add", {
			key: "k",
			values: Array.from({ length: 9_990 }, (_, i) => `${i}`),
		});
		let answered = 0;
		let busyMs = 0;
		const started = performance.now();
		const elu = nodePerformance.eventLoopUtilization();
		const sender = async () => {
			while (performance.now() - started < 4_000) {
				const answer = await mcpPost(server.url, body);
				await answer.body?.cancel();
				answered++;
			}
		};
		await Promise.all([sender(), sender(), sender(), sender()]);
		busyMs = nodePerformance.eventLoopUtilization(elu).active;
		const seconds = (performance.now() - started) / 1_000;
		// 100 ms of decode time a second, about 20 ms a body: before, the loop was busy all the
		// time, answering 25 to 35 bodies a second.
		expect(answered / seconds).toBeLessThan(12);
		expect(busyMs / seconds / 1_000).toBeLessThan(0.6);
	}, 60_000);
});
