import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { Client } from "../../src/client/index.js";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { type McpBearerParams, mcpHandler, mcpTool } from "../../src/mcp/index.js";
import { lateBoundClient, mcpPost } from "./fixture.js";

// Tokens the actor's hook accepts; anything else is `user/unauthorized`.
const TOKENS: Record<string, string> = { "alice-token": "alice", "bob-token": "bob" };
const ALICE = { token: "alice-token" };

/** How many times an action body ran: "never reaches the actor" is checked here. */
let actionRuns = 0;

const counter = actor({
	state: { count: 0, notes: [] as { text: string; tags: string[]; by: string }[] },
	onBeforeConnect: (_c, params: McpBearerParams) => {
		const token = params?.token;
		if (token === undefined || !Object.hasOwn(TOKENS, token)) {
			throw new UserError(token === undefined ? "a token is required" : "unknown token", {
				code: "unauthorized",
			});
		}
	},
	createConnState: (_c, params: McpBearerParams) => ({ user: TOKENS[params?.token ?? ""] ?? "" }),
	actionInputSchemas: {
		increment: z.tuple([z.number().int()]),
	},
	actions: {
		increment: (c, by: number) => {
			actionRuns++;
			c.state.count += by;
			return c.state.count;
		},
		get: (c) => c.state.count,
		addNote: (c, note: { text: string; tags?: string[] }) => {
			actionRuns++;
			c.state.notes.push({ text: note.text, tags: note.tags ?? [], by: c.conn.state.user });
			return { notes: c.state.notes.length, last: c.state.notes.at(-1), at: new Date(0) };
		},
	},
});

const registry = setup({ use: { counter } });
type TestClient = Client<typeof registry>;

// The Tenon client the MCP tools call through. It is created before the server
// listens (the fallback needs it), so its fetch goes to the server's URL once known.
const { client: tenon, listening } = lateBoundClient<typeof registry>();

// A tool defined on its own: the annotated client type checks the call.
const read = mcpTool({
	description: "Reads an existing counter",
	annotations: { readOnlyHint: true },
	input: z.object({ key: z.string().min(1) }),
	call: (client: TestClient, { key }, params) => client.counter.get(key, { params }).get(),
});

const MAX_BODY_BYTES = 16 * 1024;

/** What the handler logged (internal failures). */
const logged: { message: string; fields: LogFields }[] = [];

let server: TenonServer;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		storage: memoryDriver(),
		fallback: mcpHandler({
			name: "tenon-test",
			version: "1.0.0",
			client: tenon,
			maxBodyBytes: MAX_BODY_BYTES,
			logger: createLogger({
				level: "error",
				sink: (_level, message, fields) => logged.push({ message, fields }),
			}),
			tools: {
				increment: {
					description: "Adds `by` to the counter `key` and returns the new count",
					input: z.object({ key: z.string().min(1), by: z.number().int().min(-100).max(100) }),
					call: (client, { key, by }, params) =>
						client.counter.getOrCreate(key, { params }).increment(by),
				},
				addNote: {
					description: "Adds a note to the counter `key`",
					input: z.object({
						key: z.string().min(1),
						note: z.object({ text: z.string().max(200), tags: z.array(z.string()).optional() }),
					}),
					call: (client, { key, note }, params) =>
						client.counter.getOrCreate(key, { params }).addNote(note),
				},
				read,
				broken: {
					description: "Fails with an error that is not an ActorError",
					input: z.object({}),
					call: async () => {
						throw new Error("secret connection string in here");
					},
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

/** An MCP client (the SDK's own) connected over Streamable HTTP, with an optional bearer token. */
async function mcpClient(token?: string): Promise<McpClient & AsyncDisposable> {
	const client = new McpClient({ name: "mcp-test", version: "1.0.0" });
	const transport = new StreamableHTTPClientTransport(
		new URL("/mcp", server.url),
		token === undefined ? {} : { requestInit: { headers: { authorization: `Bearer ${token}` } } },
	);
	await client.connect(transport);
	return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

/** The text of a tool result's first content block. */
function textOf(result: unknown): string {
	const [first] = ((result as { content?: unknown }).content ?? []) as {
		type: string;
		text?: string;
	}[];
	expect(first?.type).toBe("text");
	return first?.text ?? "";
}

/** A raw JSON-RPC POST to /mcp (no session needed: the endpoint is stateless). */
function rawPost(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
	return mcpPost(server.url, body, headers);
}

/** The count of `key` as seen through Tenon's own client (valid token). */
const countOf = (key: string) => tenon.counter.getOrCreate(key, { params: ALICE }).get();

describe("mcpHandler", () => {
	it("lists the tools with their strict JSON schemas", async () => {
		await using client = await mcpClient("alice-token");
		const { tools } = await client.listTools();
		expect(tools.map((tool) => tool.name).sort()).toEqual([
			"addNote",
			"broken",
			"increment",
			"read",
		]);
		const increment = tools.find((tool) => tool.name === "increment");
		expect(increment?.description).toBe("Adds `by` to the counter `key` and returns the new count");
		expect(increment?.inputSchema).toMatchObject({
			type: "object",
			properties: {
				key: { type: "string", minLength: 1 },
				by: { type: "integer", minimum: -100, maximum: 100 },
			},
			required: ["key", "by"],
			additionalProperties: false,
		});
		const addNote = tools.find((tool) => tool.name === "addNote");
		expect(addNote?.inputSchema.properties?.note).toMatchObject({
			type: "object",
			properties: { text: { type: "string" }, tags: { type: "array" } },
			additionalProperties: false,
		});
		expect(tools.find((tool) => tool.name === "read")?.annotations).toEqual({ readOnlyHint: true });
	});

	it("runs the action with the caller's token and returns its result", async () => {
		await using client = await mcpClient("alice-token");
		const first = await client.callTool({ name: "increment", arguments: { key: "ok", by: 2 } });
		expect(first.isError).toBeFalsy();
		expect(textOf(first)).toBe("2");
		expect(first.structuredContent).toEqual({ result: 2 });
		const second = await client.callTool({ name: "increment", arguments: { key: "ok", by: 3 } });
		expect(second.structuredContent).toEqual({ result: 5 });
		expect(await countOf("ok")).toBe(5);

		// An object result is the structured content itself; the text is its JSON.
		const noted = await client.callTool({
			name: "addNote",
			arguments: { key: "ok", note: { text: "hello", tags: ["a"] } },
		});
		const expected = {
			notes: 1,
			last: { text: "hello", tags: ["a"], by: "alice" },
			at: "1970-01-01T00:00:00.000Z",
		};
		expect(noted.structuredContent).toEqual(expected);
		expect(JSON.parse(textOf(noted))).toEqual(expected);
	});

	it("passes each request's own token: the actor sees who calls", async () => {
		await using bob = await mcpClient("bob-token");
		const noted = await bob.callTool({
			name: "addNote",
			arguments: { key: "who", note: { text: "hi" } },
		});
		expect(noted.structuredContent).toMatchObject({ last: { by: "bob" } });
	});

	it("answers a call without a token with the hook's user/unauthorized, state unchanged", async () => {
		await using anonymous = await mcpClient();
		const runs = actionRuns;
		const result = await anonymous.callTool({
			name: "increment",
			arguments: { key: "guarded", by: 1 },
		});
		expect(result.isError).toBe(true);
		expect(textOf(result)).toBe("user/unauthorized: a token is required");
		expect(actionRuns).toBe(runs);
		expect(await countOf("guarded")).toBe(0);
	});

	it("answers a call with a bad token with user/unauthorized, state unchanged", async () => {
		await using intruder = await mcpClient("forged-token");
		const runs = actionRuns;
		const result = await intruder.callTool({
			name: "increment",
			arguments: { key: "guarded-2", by: 1 },
		});
		expect(result.isError).toBe(true);
		expect(textOf(result)).toBe("user/unauthorized: unknown token");
		expect(actionRuns).toBe(runs);
		expect(await countOf("guarded-2")).toBe(0);
	});

	it("turns actor/not_found into an error result", async () => {
		await using client = await mcpClient("alice-token");
		const result = await client.callTool({ name: "read", arguments: { key: "never-created" } });
		expect(result.isError).toBe(true);
		expect(textOf(result)).toMatch(/^actor\/not_found: /);
	});

	it("refuses invalid arguments before the actor runs", async () => {
		await using client = await mcpClient("alice-token");
		const runs = actionRuns;
		const wrongType = await client.callTool({
			name: "increment",
			arguments: { key: "strict", by: "1" },
		});
		expect(wrongType.isError).toBe(true);
		expect(textOf(wrongType)).toMatch(
			/^request\/invalid_args: Invalid arguments for tool 'increment'/,
		);
		expect(textOf(wrongType)).toContain("- by: ");

		const outOfRange = await client.callTool({
			name: "increment",
			arguments: { key: "strict", by: 1_000 },
		});
		expect(outOfRange.isError).toBe(true);

		const missing = await client.callTool({ name: "increment", arguments: { key: "strict" } });
		expect(missing.isError).toBe(true);
		expect(textOf(missing)).toContain("- by: ");

		expect(actionRuns).toBe(runs);
		expect(await countOf("strict")).toBe(0);
	});

	it("refuses properties the schema does not declare, at any depth", async () => {
		await using client = await mcpClient("alice-token");
		const runs = actionRuns;
		const extra = await client.callTool({
			name: "increment",
			arguments: { key: "extra", by: 1, admin: true },
		});
		expect(extra.isError).toBe(true);
		expect(textOf(extra)).toContain("- admin: Unknown property 'admin'");

		const nested = await client.callTool({
			name: "addNote",
			arguments: { key: "extra", note: { text: "x", author: "mallory" } },
		});
		expect(nested.isError).toBe(true);
		expect(textOf(nested)).toContain("- note.author: Unknown property 'author'");
		expect(actionRuns).toBe(runs);
	});

	it("refuses __proto__ keys in arguments without polluting anything", async () => {
		const runs = actionRuns;
		const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"increment","arguments":{"key":"proto","by":1,"__proto__":{"by":50,"polluted":true}}}}`;
		const response = await rawPost(body, { authorization: "Bearer alice-token" });
		expect(response.status).toBe(200);
		const answer = (await response.json()) as {
			id: number;
			result: { isError?: boolean; content: { text: string }[] };
		};
		expect(answer.id).toBe(7);
		expect(answer.result.isError).toBe(true);
		expect(answer.result.content[0]?.text).toContain("__proto__: A __proto__ key is not allowed");
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(actionRuns).toBe(runs);
		expect(await countOf("proto")).toBe(0);
	});

	it("refuses arguments nested too deep before walking them", async () => {
		const runs = actionRuns;
		const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
		const body = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"addNote","arguments":{"key":"deep","note":{"text":"x","tags":${deep}}}}}`;
		const response = await rawPost(body, { authorization: "Bearer alice-token" });
		const answer = (await response.json()) as {
			result: { isError?: boolean; content: { text: string }[] };
		};
		expect(answer.result.isError).toBe(true);
		expect(answer.result.content[0]?.text).toContain("Nested deeper than 64 levels");
		expect(actionRuns).toBe(runs);
	});

	it("refuses __proto__ keys elsewhere in the body with a 400", async () => {
		const body = `{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{"__proto__":{"polluted":true}}}`;
		const response = await rawPost(body);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: -32600 } });
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it("refuses a batch whose requests share an id, before any of them runs", async () => {
		// Both ran and one answer came back (an attacker probe, 2026-11-25).
		const call = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"tools/list","params":{}}`;
		const response = await rawPost(`[${call(9)},${call(9)}]`);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: -32600 } });
		const fine = await rawPost(`[${call(10)},${call(11)}]`);
		expect(fine.status).toBe(200);
		expect((await fine.json()).length).toBe(2);
	});

	it("answers a body over maxBodyBytes with 413, declared or streamed", async () => {
		const runs = actionRuns;
		const big = JSON.stringify({
			jsonrpc: "2.0",
			id: 9,
			method: "tools/call",
			params: { name: "increment", arguments: { key: "x".repeat(MAX_BODY_BYTES), by: 1 } },
		});
		const declared = await rawPost(big, { authorization: "Bearer alice-token" });
		expect(declared.status).toBe(413);
		expect(await declared.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });

		// Without a Content-Length, the read stops once the limit is passed.
		const bytes = new TextEncoder().encode(big);
		const streamed = await rawPost(
			new ReadableStream({
				start(controller) {
					for (let offset = 0; offset < bytes.length; offset += 4096) {
						controller.enqueue(bytes.subarray(offset, offset + 4096));
					}
					controller.close();
				},
			}),
			{ authorization: "Bearer alice-token" },
		);
		expect(streamed.status).toBe(413);
		expect(actionRuns).toBe(runs);
	});

	it("hides the details of other failures and logs them", async () => {
		await using client = await mcpClient("alice-token");
		const result = await client.callTool({ name: "broken", arguments: {} });
		expect(result.isError).toBe(true);
		expect(textOf(result)).toBe("core/internal_error: An internal error occurred");
		expect(logged).toHaveLength(1);
		expect(logged[0]).toMatchObject({ message: "mcp tool failed", fields: { tool: "broken" } });
	});

	it("answers an unknown tool with a protocol error", async () => {
		await using client = await mcpClient("alice-token");
		await expect(client.callTool({ name: "destroyEverything", arguments: {} })).rejects.toThrow(
			/Unknown tool: destroyEverything/,
		);
		// Tool names come from a Map: Object.prototype members are not tools.
		await expect(client.callTool({ name: "constructor", arguments: {} })).rejects.toThrow(
			/Unknown tool/,
		);
	});

	it("keeps serving Tenon's own routes, and only POST on /mcp", async () => {
		const handle = tenon.counter.getOrCreate("plain", { params: ALICE });
		expect(await handle.increment(4)).toBe(4);
		const health = await fetch(new URL("/health", server.url));
		expect(health.status).toBe(200);
		const missing = await fetch(new URL("/not-a-route", server.url));
		expect(missing.status).toBe(404);
		// Stateless: no server-initiated stream to GET and no session to DELETE.
		const get = await fetch(new URL("/mcp", server.url), {
			headers: { accept: "text/event-stream" },
		});
		expect(get.status).toBe(405);
		expect(get.headers.get("allow")).toBe("POST");
	});

	it("checks tools against the client's types", () => {
		mcpTool({
			description: "typed",
			input: z.object({ key: z.string(), by: z.number() }),
			call: (client: TestClient, input, params) => {
				expectTypeOf(input).toEqualTypeOf<{ key: string; by: number }>();
				expectTypeOf(params).toEqualTypeOf<McpBearerParams>();
				return client.counter.getOrCreate(input.key, { params }).increment(input.by);
			},
		});
		mcpTool({
			description: "wrong argument type",
			input: z.object({ key: z.string(), by: z.string() }),
			call: (client: TestClient, { key, by }, params) =>
				// @ts-expect-error: increment takes a number
				client.counter.getOrCreate(key, { params }).increment(by),
		});
		mcpTool({
			description: "no such action",
			input: z.object({ key: z.string() }),
			call: (client: TestClient, { key }, params) =>
				// @ts-expect-error: the counter has no action named decrement
				client.counter.getOrCreate(key, { params }).decrement(),
		});
		// Inline tools infer the client from `client` and the input from the schema.
		mcpHandler({
			name: "typed",
			version: "1",
			client: tenon,
			tools: {
				inline: {
					description: "inline",
					input: z.object({ by: z.number() }),
					call: (client, { by }, params) => {
						expectTypeOf(client).toEqualTypeOf<TestClient>();
						return client.counter.getOrCreate("k", { params }).increment(by);
					},
				},
				// @ts-expect-error: a tool typed for another client does not fit
				foreign: mcpTool({
					description: "foreign",
					input: z.object({}),
					call: async (_client: { other: true }) => null,
				}),
			},
		});
		// Custom params: the tools get what `params` returns.
		mcpHandler({
			name: "typed",
			version: "1",
			client: tenon,
			params: (request) => ({ token: request.headers.get("x-api-key") ?? "" }),
			tools: {
				custom: {
					description: "custom",
					input: z.object({}),
					call: (client, _input, params) => {
						expectTypeOf(params).toEqualTypeOf<{ token: string }>();
						return client.counter.getOrCreate("k", { params }).get();
					},
				},
			},
		});
	});

	it("refuses tools it cannot describe when the handler is created", () => {
		expect(() =>
			mcpHandler({
				name: "bad",
				version: "1",
				client: tenon,
				tools: { notAnObject: { description: "x", input: z.number(), call: async () => null } },
			}),
		).toThrow(/needs an object input schema/);
		expect(() =>
			mcpHandler({
				name: "bad",
				version: "1",
				client: tenon,
				tools: { "bad name!": { description: "x", input: z.object({}), call: async () => null } },
			}),
		).toThrow(/tool name "bad name!"/);
	});
});
