// The workflow journal of an agent is readable by anyone holding an inspector
// token (the Workflow view, `GET /inspector/actors/:id/workflow`). It kept
// what the transcript redacts: a tool call's raw arguments (in the answer
// step's result) and its checked input (in the check step's result), and
// errors quoting a secret (a tool's, the model's) with their stacks. And a
// call waiting for approval showed `JSON.stringify` of its checked input: a
// Map or Set a schema made showed as `{}`, and a BigInt failed the turn.
// A reviewer's probe (2026-11-25): a tool throwing a UserError with an Error
// or a URL in its metadata, or a null-prototype object, left an error the
// journal could not store, and the conversation stuck for good; and a call
// resumed after a restart ran with its input as decoded from the journal
// (a Buffer as a Uint8Array, -0 as 0...), not with what the first run got.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentActor, type ChatModel, defineTool, ModelError } from "../../src/agent/index.js";
import { UserError } from "../../src/index.js";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { annTalksTo, says, scripted, toolCall, toolCallsDone } from "./scripted-model.js";

const SECRET = "tenon-test-secret-7f3a9c";
const INSPECTOR_TOKEN = "inspector-token-for-the-journal-test";

const ran: { tool: string; input: unknown }[] = [];
const lookup = defineTool({
	name: "lookup",
	description: "Looks something up",
	input: z.object({ q: z.string() }).strict(),
	execute: (input) => {
		ran.push({ tool: "lookup", input });
		return "found";
	},
});
const leaky = defineTool({
	name: "leaky",
	description: "Fails, quoting a credential",
	input: z.object({}).strict(),
	execute: () => {
		throw new Error(`the upstream refused the key ${SECRET}`);
	},
});
/** A high-risk tool whose schema turns the arguments into a Map, a Set and a BigInt. */
const transfer = defineTool({
	name: "transfer",
	description: "Moves money between accounts",
	input: z
		.object({
			cents: z.string().regex(/^\d+$/).transform(BigInt),
			to: z.record(z.string(), z.number()).transform((shares) => new Map(Object.entries(shares))),
			tags: z.array(z.string()).transform((tags) => new Set(tags)),
		})
		.strict(),
	risk: "high",
	execute: (input) => {
		ran.push({ tool: "transfer", input });
		return { ok: true };
	},
});

/** A tool whose schema makes what cannot be stored (so not journaled, so not run after a crash). */
const visit = defineTool({
	name: "visit",
	description: "Visits a page",
	input: z.object({ url: z.string().transform((url) => new URL(url)) }).strict(),
	execute: (input) => {
		ran.push({ tool: "visit", input });
		return "visited";
	},
});

/** What the `failing` tool throws. */
let toThrow: () => unknown = () => new Error("nothing set");
const failing = defineTool({
	name: "failing",
	description: "Fails",
	input: z.object({}).strict(),
	execute: () => {
		throw toThrow();
	},
});

/** A high-risk tool whose schema makes what storage changes: bytes, -0, a null prototype, sharing, a hole. */
const shapes = defineTool({
	name: "shapes",
	description: "Makes shapes",
	input: z
		.object({ s: z.string() })
		.strict()
		.transform(({ s }) => {
			const nul = Object.create(null) as Record<string, string>;
			nul.k = s;
			const shared = { n: 1 };
			return {
				buf: Buffer.from(s),
				ab: new Uint8Array([1, 2, 3]).buffer,
				negz: -0,
				nul,
				a: shared,
				b: shared,
				// biome-ignore lint/suspicious/noSparseArray: a hole, on purpose
				sparse: [1, , 3],
			};
		}),
	risk: "high",
	execute: (input) => {
		ran.push({ tool: "shapes", input });
		return "shaped";
	},
});

/** A server (with an inspector token) with an agent on `model`, and Ann's connection. */
async function converse(model: ChatModel, storage?: StorageDriver) {
	const agent = agentActor({
		model,
		tools: [lookup, leaky, transfer, visit, failing, shapes],
		modelRetries: 0,
		redact: { secrets: [SECRET] },
		createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
		identify: (conn) => ({ id: conn.state.user }),
	});
	const chat = await annTalksTo(agent, { inspectorToken: INSPECTOR_TOKEN, storage });
	const { t, handle } = chat;
	return {
		...chat,
		/** The journal as the inspector's Workflow view gets it, as text. */
		async journal(): Promise<string> {
			await t.settle();
			const id = await handle.resolve();
			const response = await fetch(`${t.url}/inspector/actors/${id}/workflow`, {
				headers: { authorization: `Bearer ${INSPECTOR_TOKEN}` },
			});
			expect(response.status).toBe(200);
			return response.text();
		},
	};
}

describe("the workflow journal of an agent", () => {
	it("keeps no secret the model wrote in a tool call's arguments, and no tool gets it", async () => {
		// The second call escapes the secret's first letter: only its parsed value holds the secret.
		const escaped = `\\u00${SECRET.charCodeAt(0).toString(16)}${SECRET.slice(1)}`;
		const model = scripted((call) =>
			call === 1
				? [
						toolCall("c1", "lookup", `{"q":"${SECRET}"}`),
						toolCall("c2", "lookup", `{"q":"${escaped}"}`),
						toolCall("c3", "lookup", '{"q":"a plain question"}'),
						toolCallsDone,
					]
				: says("ok"),
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		ran.length = 0;
		const { turnId } = await conn.prompt("look it up");
		expect((await turns.ended(turnId)).status).toBe("done");

		const journal = await chat.journal();
		expect(journal).toContain("answer-0");
		// Not even escaped: the secret's tail is nowhere.
		expect(journal).not.toContain(SECRET.slice(1));
		// A call holding a secret is refused (saying why); the others run with what was checked.
		expect(ran).toEqual([{ tool: "lookup", input: { q: "a plain question" } }]);
		const results = (await conn.history()).filter((m) => m.role === "tool");
		expect(results.map((m) => m.status)).toEqual(["failed", "failed", "complete"]);
		expect(results[0]?.content).toContain("secret");
		expect(JSON.stringify(await conn.history())).not.toContain(SECRET.slice(1));
		expect(JSON.stringify(model.requests[1]?.messages)).not.toContain(SECRET.slice(1));
	});

	it("refuses a call whose checked input it cannot journal, and the agent goes on", async () => {
		const model = scripted((call) =>
			call === 1
				? [toolCall("v1", "visit", '{"url":"https://example.com"}'), toolCallsDone]
				: says("ok"),
		);
		await using chat = await converse(model);
		const { conn, turns } = chat;
		ran.length = 0;
		const first = await conn.prompt("visit");
		expect((await turns.ended(first.turnId)).status).toBe("done");
		expect(ran).toEqual([]);
		const result = (await conn.history()).find((m) => m.role === "tool");
		expect(result?.content).toContain("cannot be stored: input.url is a URL instance");
		// The workflow is alive: the next prompt gets its turn.
		const second = await conn.prompt("and now?");
		expect((await turns.ended(second.turnId)).status).toBe("done");
	});

	it("keeps a tool's error and a model's error that quote a secret redacted", async () => {
		const model = scripted((call) => {
			if (call === 1) return [toolCall("c1", "leaky", "{}"), toolCallsDone];
			if (call === 2) return says("ok");
			return new ModelError("model_http_error", `HTTP 401: unknown key ${SECRET}`, {
				status: 401,
				key: SECRET,
			});
		});
		await using chat = await converse(model);
		const { conn, turns } = chat;
		const first = await conn.prompt("try the tool");
		expect((await turns.ended(first.turnId)).status).toBe("done");
		const second = await conn.prompt("again");
		const end = await turns.ended(second.turnId);
		expect(end.status).toBe("failed");
		// Users read the status only; the server's words stay in the journal, redacted.
		expect(end.error?.message).toBe("The model server answered HTTP 401");

		const journal = await chat.journal();
		expect(journal).not.toContain(SECRET);
		// The errors are kept (for whoever debugs), without the secret.
		expect(journal).toContain("the upstream refused the key [redacted]");
		expect(journal).toContain("HTTP 401: unknown key [redacted]");
	});
});

describe("a tool that throws what the journal cannot store as it is", () => {
	const throws: Record<string, () => unknown> = {
		"an Error in its metadata": () =>
			new UserError("the upstream refused", {
				metadata: { upstream: new Error(`refused key ${SECRET}`) },
			}),
		"a URL in its metadata": () =>
			new UserError("the upstream refused", {
				metadata: { url: new URL(`https://api.example/v1?key=${SECRET}`) },
			}),
		"a null-prototype object": () => Object.create(null),
	};
	for (const [what, make] of Object.entries(throws))
		it(`throwing ${what}, fails its call, and the next prompt runs`, async () => {
			toThrow = make;
			const model = scripted((call) =>
				call === 1 ? [toolCall("f1", "failing", "{}"), toolCallsDone] : says("ok"),
			);
			await using chat = await converse(model);
			const { conn, turns } = chat;
			const first = await conn.prompt("try the tool");
			expect((await turns.ended(first.turnId)).status).toBe("done");
			const result = (await conn.history()).find((m) => m.role === "tool");
			expect(result?.status).toBe("failed");
			const second = await conn.prompt("and now?");
			expect((await turns.ended(second.turnId)).status).toBe("done");
			expect(await chat.journal()).not.toContain(SECRET.slice(1));
		});
});

describe("a call waiting for approval", () => {
	it("shows the Map, Set and BigInt its schema made, and runs with them after a restart", async () => {
		const model = scripted((call) =>
			call === 1
				? [
						toolCall(
							"t1",
							"transfer",
							'{"cents":"123456789012345678901","to":{"ann":60,"bob":40},"tags":["rent","june"]}',
						),
						toolCallsDone,
					]
				: says("sent"),
		);
		await using chat = await converse(model);
		const { t, conn, turns } = chat;
		ran.length = 0;
		const { turnId } = await conn.prompt("pay the rent");
		const shown =
			'{"cents":"123456789012345678901","to":{"ann":60,"bob":40},"tags":["rent","june"]}';
		await expect.poll(() => conn.sharedState?.pending?.arguments, { timeout: 5_000 }).toBe(shown);

		// After a restart the turn replays from the journal: the same call waits, shown the same.
		let reopened = false;
		conn.onOpen(() => {
			reopened = true;
		});
		await t.restart();
		await expect.poll(() => reopened, { timeout: 10_000 }).toBe(true);
		await expect.poll(() => conn.sharedState?.pending?.arguments, { timeout: 10_000 }).toBe(shown);
		await conn.confirm(conn.sharedState?.pending?.callId as string, true);
		expect((await turns.ended(turnId)).status).toBe("done");
		expect(ran).toEqual([
			{
				tool: "transfer",
				input: {
					cents: 123456789012345678901n,
					to: new Map([
						["ann", 60],
						["bob", 40],
					]),
					tags: new Set(["rent", "june"]),
				},
			},
		]);
	});

	// A store may give bytes back as a Buffer (LMDB) or a Uint8Array (memory):
	// the tool gets the same input from either.
	it.each(["memory", "lmdb"])(
		"runs with the same input after a restart as without one (%s)",
		async (store) => {
			const dir = mkdtempSync(join(tmpdir(), "tenon-agent-replay-"));
			const storage = () =>
				store === "lmdb" ? lmdbDriver({ path: mkdtempSync(join(dir, "run-")) }) : memoryDriver();
			/** Runs one turn calling `shapes`, approved (after a restart if asked); the input it ran with. */
			const runOnce = async (restart: boolean): Promise<Record<string, unknown>> => {
				const model = scripted((call) =>
					call === 1 ? [toolCall("s1", "shapes", '{"s":"hi"}'), toolCallsDone] : says("ok"),
				);
				await using chat = await converse(model, storage());
				const { t, conn, turns } = chat;
				ran.length = 0;
				const { turnId } = await conn.prompt("shape it");
				await expect.poll(() => conn.sharedState?.pending?.tool, { timeout: 5_000 }).toBe("shapes");
				if (restart) {
					let reopened = false;
					conn.onOpen(() => {
						reopened = true;
					});
					await t.restart();
					await expect.poll(() => reopened, { timeout: 10_000 }).toBe(true);
					await expect
						.poll(() => conn.sharedState?.pending?.tool, { timeout: 10_000 })
						.toBe("shapes");
				}
				await conn.confirm(conn.sharedState?.pending?.callId as string, true);
				expect((await turns.ended(turnId)).status).toBe("done");
				expect(ran.length).toBe(1);
				return ran[0]?.input as Record<string, unknown>;
			};
			let first: Record<string, unknown>;
			let resumed: Record<string, unknown>;
			try {
				first = await runOnce(false);
				resumed = await runOnce(true);
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
			// The same value, to the bytes' class, -0, prototypes, sharing and holes.
			expect(inspect(resumed, { depth: 9 })).toBe(inspect(first, { depth: 9 }));
			expect(Buffer.isBuffer(first.buf)).toBe(Buffer.isBuffer(resumed.buf));
			expect(Object.is(first.negz, resumed.negz)).toBe(true);
			expect(first.a === first.b).toBe(resumed.a === resumed.b);
		},
	);
});
