// What an attacker probe of the MCP endpoint found (2026-11-25): one
// request of many small argument values blocked the loop for 0.4 to 0.7 s
// without a token, and a batch multiplied the per-address rate limit by 100;
// and tool calls whose params are not a call's, which the SDK answered as an
// internal error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { MAX_CALLS_PER_REQUEST, type McpBearerParams, mcpHandler } from "../../src/mcp/index.js";
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
	},
});

const registry = setup({ use: { notes }, logLevel: "silent" });
const { client: tenon, listening } = lateBoundClient<typeof registry>();
let server: TenonServer;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		storage: memoryDriver(),
		fallback: mcpHandler({
			name: "limits",
			version: "1.0.0",
			client: tenon,
			tools: {
				tag: {
					description: "Tags the notes `key`",
					input: z.object({ key: z.string(), tags: z.array(z.string()) }),
					call: (client, { key, tags }, params) =>
						client.notes.getOrCreate(key, { params }).tag(tags),
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

function post(body: string, headers: Record<string, string> = {}) {
	return mcpPost(server.url, body, headers);
}

const call = (id: number, tags: string) =>
	`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"tag","arguments":{"key":"k","tags":${tags}}}}`;

describe("tool arguments of many small values", () => {
	it("are refused before they are walked again, without blocking the loop", async () => {
		// 120,000 numbers in 240 KB: walked three times before the actor refused the caller.
		const body = call(1, `[${Array(120_000).fill(1).join(",")}]`);
		let answer: { result: { isError?: boolean; content: { text: string }[] } } | undefined;
		const worst = await worstStallDuring(async () => {
			answer = await (await post(body)).json();
		});
		expect(answer?.result.isError).toBe(true);
		expect(answer?.result.content[0]?.text).toContain("More than 10000 values");
		expect(worst).toBeLessThan(250);
	});
});

describe("a batch of tool calls", () => {
	it("runs at most 10 of them; the rest are refused", async () => {
		const before = runs;
		const batch = Array.from({ length: 12 }, (_, i) => call(i + 1, '["a"]'));
		const response = await post(`[${batch.join(",")}]`, { authorization: "Bearer alice-token" });
		const answers = (await response.json()) as {
			id: number;
			result: { isError?: boolean; content: { text: string }[] };
		}[];
		expect(runs - before).toBe(MAX_CALLS_PER_REQUEST);
		const refused = answers.filter((answer) => answer.result.isError);
		expect(refused.map((answer) => answer.id).sort((a, b) => a - b)).toEqual([11, 12]);
		expect(refused[0]?.result.content[0]?.text).toContain("At most 10 tool calls in one request");
	});
});

describe("a tool call whose params are not a call's", () => {
	it("is answered Invalid params (-32602), and runs nothing", async () => {
		const before = runs;
		const malformed: unknown[] = [
			undefined,
			"tag",
			[],
			{ arguments: { key: "k", tags: ["a"] } },
			{ name: 7, arguments: { key: "k", tags: ["a"] } },
			{ name: "tag", arguments: [{ key: "k", tags: ["a"] }] },
			{ name: "tag", arguments: "key=k" },
			{ name: "tag", arguments: null },
		];
		for (const params of malformed) {
			const call = { jsonrpc: "2.0", id: 9, method: "tools/call", params };
			const body = await (
				await post(JSON.stringify(call), { authorization: "Bearer alice-token" })
			).json();
			expect(body, JSON.stringify(params)).toMatchObject({ id: 9, error: { code: -32602 } });
			expect(body.error.message).toMatch(/Invalid params: /);
		}
		expect(runs).toBe(before);
		// In a batch, only the malformed call is refused.
		const batch = [
			{ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "tag", arguments: [] } },
			{
				jsonrpc: "2.0",
				id: 2,
				method: "tools/call",
				params: { name: "tag", arguments: { key: "k", tags: ["a", "b"] } },
			},
		];
		const answers = await (
			await post(JSON.stringify(batch), { authorization: "Bearer alice-token" })
		).json();
		expect(answers.find((a: { id: number }) => a.id === 1)).toMatchObject({
			error: { code: -32602 },
		});
		expect(answers.find((a: { id: number }) => a.id === 2).result.isError).toBeUndefined();
		expect(runs).toBe(before + 1);
	});
});
