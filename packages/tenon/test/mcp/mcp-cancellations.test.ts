// A batch that cancels its own request (`notifications/cancelled` naming an
// id of the same body) got no answer at all: the SDK drops the cancelled
// request's response and the JSON-response transport waits for every one, so
// the handler never settled and kept its server and body for good, without a
// token (an attacker probe, 2026-11-26). Cancellations are dropped (a caller
// cancels by closing its request), and a caller that goes away ends its
// request's work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { type McpBearerParams, mcpHandler } from "../../src/mcp/index.js";
import { lateBoundClient, mcpPost } from "./fixture.js";

const notes = actor({
	state: { n: 0 },
	onBeforeConnect: (_c, params: McpBearerParams) => {
		if (params?.token !== "alice-token") throw new UserError("no", { code: "unauthorized" });
	},
	actions: {
		bump: (c) => {
			c.state.n++;
			return c.state.n;
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
			name: "cancellations",
			version: "1.0.0",
			client: tenon,
			tools: {
				bump: {
					description: "bumps",
					input: z.object({ key: z.string() }).strict(),
					call: (client, { key }, params) => client.notes.getOrCreate(key, { params }).bump(),
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

const cancel = (requestId: string | number) => ({
	jsonrpc: "2.0",
	method: "notifications/cancelled",
	params: { requestId },
});

async function post(body: unknown, headers: Record<string, string> = {}) {
	const response = await mcpPost(server.url, JSON.stringify(body), headers);
	const text = await response.text();
	// The SDK answers a batch left with one request with that one response.
	const json = text === "" ? [] : [JSON.parse(text)].flat();
	return { status: response.status, json };
}

describe("a batch that cancels its own request", () => {
	it("is answered: a ping cancelled in the same body", async () => {
		const answer = await post([{ jsonrpc: "2.0", id: 1, method: "ping" }, cancel(1)]);
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual([{ jsonrpc: "2.0", id: 1, result: {} }]);
	});

	it("is answered: a tool call cancelled in the same body runs and answers", async () => {
		const call = {
			jsonrpc: "2.0",
			id: 7,
			method: "tools/call",
			params: { name: "bump", arguments: { key: "k" } },
		};
		const answer = await post([call, cancel(7)], { authorization: "Bearer alice-token" });
		expect(answer.status).toBe(200);
		expect(answer.json[0].id).toBe(7);
		expect(answer.json[0].result.isError).not.toBe(true);
	});

	it("a request (with an id) named notifications/cancelled is answered, not dropped", async () => {
		const answer = await post({
			jsonrpc: "2.0",
			id: 5,
			method: "notifications/cancelled",
			params: { requestId: 1 },
		});
		expect(answer.status).toBe(200);
		expect(answer.json[0]).toMatchObject({ id: 5, error: { code: -32601 } });
	});

	it("a body of cancellations alone is accepted with no answer (202)", async () => {
		expect((await post(cancel(3))).status).toBe(202);
		expect((await post([cancel(3), cancel("x")])).status).toBe(202);
	});
});

describe("a request whose caller went away", () => {
	it("settles, even while a tool that ignores its signal still runs", async () => {
		const handler = mcpHandler({
			name: "direct",
			version: "1.0.0",
			client: {},
			tools: {
				stuck: {
					description: "never settles",
					input: z.object({}).strict(),
					call: () => new Promise<never>(() => {}),
				},
			},
		});
		const gone = new AbortController();
		const request = new Request("http://127.0.0.1/mcp", {
			method: "POST",
			headers: {
				"content-type": "application/json",
				accept: "application/json, text/event-stream",
			},
			body: JSON.stringify({
				jsonrpc: "2.0",
				id: "x",
				method: "tools/call",
				params: { name: "stuck", arguments: {} },
			}),
			signal: gone.signal,
		});
		let settled: Response | undefined;
		void handler(request).then((response) => {
			settled = response;
		});
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(settled).toBeUndefined();
		gone.abort();
		await expect.poll(() => settled?.status).toBe(499);
	});
});
