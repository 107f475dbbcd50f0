// An MCP handler given the registry instead of a client of its own calls the
// server's actors in-process, for the MCP caller (FallbackInfo.callerClient):
// the actors' hooks see the caller's address, not the handler's loopback
// client, and the calls count against the caller's per-address limits. With a
// client of its own, every MCP caller's calls came from that client (one
// address, no limits on loopback), and the handler needed the server's URL.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { type Client, createClient } from "../../src/client/index.js";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { type McpCallerInfo, mcpHandler } from "../../src/mcp/index.js";

const seen = actor({
	state: {},
	createConnState: (c) => ({
		address: c.request?.remoteAddress,
		internal: c.request?.internal,
	}),
	actions: {
		whoAmI: (c) => c.conn.state,
		ping: () => "pong",
		open: (c) => c.conns.size,
	},
});
const gated = actor({
	state: {},
	// A hook that lets the server's own actors in: an MCP caller must not pass as one.
	onBeforeConnect: (c) => {
		if (c.request?.internal !== true) throw new UserError("actors only", { code: "forbidden" });
	},
	actions: { secret: () => "for actors" },
});
const registry = setup({
	use: { seen, gated },
	// A burst of 12 that regains one a minute: the calls below use it up however slowly they run.
	rateLimits: { limitLoopback: true, perAddress: { perSecond: 1 / 60, burst: 12 } },
	logLevel: "silent",
});
let server: TenonServer;
/** Tool calls of late_connect that reached their connect (after their caller left). */
let lateConnects = 0;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		storage: memoryDriver(),
		fallback: mcpHandler({
			name: "caller-client",
			version: "1.0.0",
			registry,
			tools: {
				who_am_i: {
					description: "What the actor saw of the caller",
					input: z.object({ key: z.string() }),
					call: (client, { key }, params) => client.seen.getOrCreate(key, { params }).whoAmI(),
				},
				late_connect: {
					description: "Connects after a while (the caller may be gone by then)",
					input: z.object({ key: z.string() }),
					call: async (client, { key }, params) => {
						await new Promise((resolve) => setTimeout(resolve, 300));
						lateConnects++;
						return client.seen.getOrCreate(key, { params }).connect().whoAmI();
					},
				},
				secret: {
					description: "An action only actors may call",
					input: z.object({}),
					call: (client, _input, params) => client.gated.getOrCreate("g", { params }).secret(),
				},
			},
		}),
	});
});

afterAll(async () => {
	await server?.close();
});

/** A tool call posted from `localAddress` (127.0.0.2: another loopback address, another client). */
function callFrom(
	localAddress: string,
	name: string,
	args: unknown,
): Promise<{ status: number; body: any }> {
	const url = new URL("/mcp", server.url);
	const body = JSON.stringify({
		jsonrpc: "2.0",
		id: 1,
		method: "tools/call",
		params: { name, arguments: args },
	});
	return new Promise((resolve, reject) => {
		const request = httpRequest(
			url,
			{
				method: "POST",
				localAddress,
				headers: {
					"content-type": "application/json",
					accept: "application/json, text/event-stream",
				},
			},
			(response) => {
				let text = "";
				response.setEncoding("utf8");
				response.on("data", (chunk: string) => {
					text += chunk;
				});
				response.on("end", () =>
					resolve({
						status: response.statusCode ?? 0,
						body: text === "" ? undefined : JSON.parse(text),
					}),
				);
			},
		);
		request.on("error", reject);
		request.end(body);
	});
}

describe("an MCP handler on the server's own client, made for its caller", () => {
	it("shows the actors the MCP caller's address, not internal", async () => {
		const answer = await callFrom("127.0.0.2", "who_am_i", { key: "a" });
		expect(answer.status).toBe(200);
		expect(answer.body.result.isError).toBeFalsy();
		expect(answer.body.result.structuredContent).toEqual({ address: "127.0.0.2", internal: false });
		// A hook that admits the server's own actors does not admit an MCP caller.
		const refused = await callFrom("127.0.0.2", "secret", {});
		expect(refused.body.result.isError).toBe(true);
		expect(refused.body.result.content[0].text).toContain("user/forbidden");
	});

	it("counts the calls against the caller's address, and no one else's", async () => {
		// 127.0.0.3's burst of 12: each MCP request takes one, and each actor call one more.
		const answers: { status: number; body: any }[] = [];
		for (let i = 0; i < 8; i++) answers.push(await callFrom("127.0.0.3", "who_am_i", { key: "b" }));
		const limited = answers.filter(
			(answer) =>
				answer.status === 429 ||
				String(answer.body?.result?.content?.[0]?.text).includes("limit/rate_limited"),
		);
		expect(answers[0]?.body.result.isError).toBeFalsy();
		expect(limited.length).toBeGreaterThan(0);
		// Fewer than 8 calls answered: the actor calls counted against 127.0.0.3 (on the
		// handler's own loopback client they counted against 127.0.0.1, or nothing).
		expect(answers.length - limited.length).toBeLessThanOrEqual(6);
		// Another address is served, through MCP and directly.
		expect((await callFrom("127.0.0.4", "who_am_i", { key: "b" })).body.result.isError).toBeFalsy();
		const direct = createClient<typeof registry>(server.url);
		try {
			expect(await direct.seen.getOrCreate("b").ping()).toBe("pong");
		} finally {
			await direct.dispose();
		}
	});

	it("leaves no connection open after its caller is gone (the client was used after its dispose, a review)", async () => {
		for (let i = 0; i < 3; i++) {
			const request = httpRequest(new URL("/mcp", server.url), {
				method: "POST",
				localAddress: "127.0.0.5",
				headers: {
					"content-type": "application/json",
					accept: "application/json, text/event-stream",
				},
			});
			request.on("error", () => {});
			request.end(
				JSON.stringify({
					jsonrpc: "2.0",
					id: 1,
					method: "tools/call",
					params: { name: "late_connect", arguments: { key: "late" } },
				}),
			);
			setTimeout(() => request.destroy(), 50);
		}
		// Each tool call got to its connect (its caller gone by then), and none stayed open.
		await expect.poll(() => lateConnects).toBe(3);
		await new Promise((resolve) => setTimeout(resolve, 200));
		const direct = createClient<typeof registry>(server.url);
		try {
			expect(await direct.seen.getOrCreate("late").open()).toBe(0);
		} finally {
			await direct.dispose();
		}
	});

	it("types the tools' client as the registry's, and its handler as needing FallbackInfo", () => {
		const handler = mcpHandler({
			name: "typed",
			version: "1",
			registry,
			tools: {
				inline: {
					description: "inline",
					input: z.object({ key: z.string() }),
					call: (client, { key }, params) => {
						expectTypeOf(client).toEqualTypeOf<Client<typeof registry>>();
						// @ts-expect-error: seen has no action named whoAreYou
						void client.seen.getOrCreate(key, { params }).whoAreYou;
						return client.seen.getOrCreate(key, { params }).whoAmI();
					},
				},
			},
		});
		expectTypeOf(handler).parameter(1).toEqualTypeOf<McpCallerInfo>();
	});

	it("refuses to be built with neither a client nor the registry", () => {
		expect(() =>
			mcpHandler({ name: "x", version: "1", tools: {} } as unknown as Parameters<
				typeof mcpHandler
			>[0]),
		).toThrow(/client.*registry/);
	});
});
