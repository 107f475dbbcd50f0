// What an attacker probe of the MCP endpoint found (2026-11-26), all without
// a token: a body large or deep outside tool arguments (a 120,000-item array
// in `tools/list` params, 120,000 levels in `_meta`) blocked the loop for 0.3
// to 0.6 s, its `__proto__` scan alone 150 to 260 ms; ten calls of a batch,
// each within the 10,000 values of one call, did the same; params that were not their method's
// (a `cursor` object, an `initialize` without its fields, a `task`) were
// answered -32603 "Internal error" with the SDK's list of schema issues; an
// unknown tool's name came back whole; and a batch of ten calls whose action
// returned 5 MB made a 100 MB answer (760 MB of memory).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { type McpBearerParams, mcpHandler } from "../../src/mcp/index.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { lateBoundClient, mcpPost } from "./fixture.js";

let runs = 0;

const notes = actor({
	state: { tags: 0 },
	onBeforeConnect: (_c, params: McpBearerParams) => {
		if (params?.token !== "alice-token") throw new UserError("no", { code: "unauthorized" });
	},
	actions: {
		tag: (c, tags: string[]) => {
			runs++;
			c.state.tags += tags.length;
			return c.state.tags;
		},
		text: (_c, length: number) => "x".repeat(length),
	},
});

const registry = setup({ use: { notes }, logLevel: "silent" });
const { client: tenon, listening } = lateBoundClient<typeof registry>();
let server: TenonServer;
const MAX_RESULT_BYTES = 64 * 1024;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		storage: memoryDriver(),
		fallback: mcpHandler({
			name: "hazards",
			version: "1.0.0",
			client: tenon,
			maxResultBytes: MAX_RESULT_BYTES,
			tools: {
				tag: {
					description: "Tags the notes `key`",
					input: z.object({ key: z.string(), tags: z.array(z.string()) }),
					call: (client, { key, tags }, params) =>
						client.notes.getOrCreate(key, { params }).tag(tags),
				},
				text: {
					description: "A text of `length` characters",
					input: z.object({ length: z.number().int().min(0) }).strict(),
					call: (client, { length }, params) =>
						client.notes.getOrCreate("k", { params }).text(length),
				},
			},
		}),
	});
	listening(server.url);
});

afterAll(async () => {
	await tenon.dispose();
	await server?.close();
});

const ALICE = { authorization: "Bearer alice-token" };

async function post(body: string, headers: Record<string, string> = {}) {
	const response = await mcpPost(server.url, body, headers);
	return { status: response.status, json: await response.json() };
}

/** The stall of the loop while `body` is posted (after one post to warm up), and its answer. */
async function timed(body: string, headers: Record<string, string> = {}) {
	await post(body, headers);
	let answer: { status: number; json: any } | undefined;
	const worst = await worstStallDuring(async () => {
		answer = await post(body, headers);
	});
	return { worst, ...(answer as { status: number; json: any }) };
}

const zeros = (n: number) => `[${Array(n).fill(0).join(",")}]`;
const call = (id: number, args: string) =>
	`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"tag","arguments":${args}}}`;

describe("a body large or deep outside tool arguments", () => {
	it("is refused (400) before anything walks it, without blocking the loop", async () => {
		const bodies = [
			`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${zeros(120_000)}}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"x":${"[".repeat(120_000)}${"]".repeat(120_000)}}}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${"[".repeat(500)}${"]".repeat(500)}}}`,
			`[${Array.from({ length: 2_000 }, (_, i) => `{"jsonrpc":"2.0","id":${i},"result":{}}`).join(",")}]`,
		];
		for (const body of bodies) {
			const { worst, status, json } = await timed(body);
			expect(status, body.slice(0, 80)).toBe(400);
			expect(json).toMatchObject({ error: { code: -32600 } });
			expect(worst).toBeLessThan(500);
		}
	});

	it("of an ordinary size, is served", async () => {
		const batch = Array.from(
			{ length: 100 },
			(_, i) => `{"jsonrpc":"2.0","id":${i},"method":"tools/list","params":{"_meta":{"a":[1,2]}}}`,
		);
		const { status, json } = await post(`[${batch.join(",")}]`);
		expect(status).toBe(200);
		expect(json).toHaveLength(100);
		// The tool list once: a batch of 100 was answered with it 100 times, 578 KB from 4.8 KB
		// (an attacker probe, 2026-11-29).
		const byId = new Map(json.map((answer: { id: number }) => [answer.id, answer]));
		expect(byId.get(0)).toMatchObject({ result: { tools: expect.any(Array) } });
		for (let id = 1; id < 100; id++)
			expect(byId.get(id)).toMatchObject({
				error: { code: -32602, message: expect.stringContaining("one tools/list per batch") },
			});
		expect(JSON.stringify(json).length).toBeLessThan(20_000);
	});

	it("still refuses a __proto__ key anywhere outside arguments", async () => {
		const { status, json } = await post(
			`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"__proto__":{"x":1}}}}`,
		);
		expect(status).toBe(400);
		expect(json.error.message).toBe("Invalid request: __proto__ key");
	});
});

describe("the tool calls of one batch", () => {
	it("share the values one request may hold, and the loop is not blocked", async () => {
		const before = runs;
		// Ten calls of 9,990 values each: each within a call's 10,000.
		const batch = Array.from({ length: 10 }, (_, i) =>
			call(i + 1, `{"key":"k","tags":${zeros(9_990)}}`),
		);
		const { worst, json } = await timed(`[${batch.join(",")}]`, ALICE);
		expect(worst).toBeLessThan(500);
		const byId = new Map<number, string>(
			json.map((answer: any) => [answer.id, answer.result.content[0].text]),
		);
		// The first is checked against its schema (numbers are not strings); the rest are refused.
		expect(byId.get(1)).toContain("request/invalid_args");
		expect(byId.get(1)).not.toContain("in the tool calls of one request");
		for (let id = 2; id <= 10; id++)
			expect(byId.get(id)).toContain("More than 10000 values in the tool calls of one request");
		expect(runs).toBe(before);
	});

	it("within the shared values, all run", async () => {
		const before = runs;
		const batch = Array.from({ length: 10 }, (_, i) => call(i + 1, `{"key":"k","tags":["a"]}`));
		const { json } = await post(`[${batch.join(",")}]`, ALICE);
		expect(json.every((answer: any) => answer.result.isError === undefined)).toBe(true);
		expect(runs).toBe(before + 10);
	});
});

describe("params that are not their method's", () => {
	it("are answered Invalid params (-32602), naming the first issue in one line", async () => {
		const requests = [
			{ method: "tools/list", params: { cursor: {} } },
			{ method: "tools/list", params: "x" },
			{ method: "initialize", params: { protocolVersion: 7 } },
			{ method: "tools/call", params: { name: "tag", arguments: {}, task: { ttl: 1_000 } } },
			{ method: "tools/call", params: { name: "tag", arguments: {}, _meta: "x" } },
			{ method: "ping", params: { _meta: { progressToken: {} } } },
		];
		for (const request of requests) {
			const body = JSON.stringify({ jsonrpc: "2.0", id: 4, ...request });
			const { status, json } = await post(body, ALICE);
			expect(status, body).toBe(200);
			expect(json, body).toMatchObject({ id: 4, error: { code: -32602 } });
			expect(json.error.message).toMatch(/Invalid params: /);
			expect(json.error.message).not.toContain("\n");
		}
		const cursor = await post(
			JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: {} } }),
		);
		expect(cursor.json.error.message).toContain("params.cursor");
	});

	it("in a batch, only that request is refused", async () => {
		const batch = [
			{ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: 5 } },
			{ jsonrpc: "2.0", id: 2, method: "tools/list" },
		];
		const { json } = await post(JSON.stringify(batch));
		expect(json.find((a: any) => a.id === 1)).toMatchObject({ error: { code: -32602 } });
		expect(json.find((a: any) => a.id === 2).result.tools).toHaveLength(2);
	});
});

describe("an unknown tool", () => {
	it("is named in the answer only up to 128 characters", async () => {
		const name = "n".repeat(100_000);
		const { json } = await post(
			JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name } }),
		);
		expect(json.error.code).toBe(-32602);
		expect(json.error.message.length).toBeLessThan(200);
	});
});

describe("a tool's result", () => {
	it("past maxResultBytes is an error result, and a batch of them stays small", async () => {
		const fits = await post(
			call(1, `{"length":${MAX_RESULT_BYTES - 2}}`).replace('"tag"', '"text"'),
			ALICE,
		);
		expect(fits.json.result.isError).toBeUndefined();
		const batch = Array.from({ length: 10 }, (_, i) =>
			call(i + 1, '{"length":5000000}').replace('"tag"', '"text"'),
		);
		const response = await mcpPost(server.url, `[${batch.join(",")}]`, ALICE);
		const text = await response.text();
		expect(text.length).toBeLessThan(5_000);
		for (const answer of JSON.parse(text)) {
			expect(answer.result.isError).toBe(true);
			expect(answer.result.content[0].text).toContain(
				`message/outgoing_too_long: The result of tool 'text' exceeds the limit of ${MAX_RESULT_BYTES} bytes`,
			);
		}
	});
});
