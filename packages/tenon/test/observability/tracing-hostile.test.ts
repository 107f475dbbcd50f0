// Tracing against hostile input and a misbehaving SDK (an attacker review, 2026-11-26):
// - a span processor that throws (the SDK's MultiSpanProcessor does not catch) failed the
//   request it traced with core/internal_error, after the action's writes were durable:
//   a client that retried ran the action twice;
// - the actor id in a gateway URL (`/gateway/{id}/action/...`) went into `tenon.actor.id`
//   as the client wrote it, 12 KB of anything, control characters included;
// - a client's `tracestate` went on with the `traceparent` Tenon wrote in its place;
// - (an attacker probe, 2026-11-27) an unknown actor or action name was `(unknown)` in the
//   span's name and attributes, but its error quoted it in full in the status message and the
//   exception event: 15 KB of a client's bytes per request, newlines and terminal escapes too.
import { context, propagation, type Span, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
	BasicTracerProvider,
	InMemorySpanExporter,
	SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/types.js";
import { db } from "../../src/db/index.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { flushSpans } from "../../src/observability/deferred-span.js";
import { injectTraceHeaders, TRACESTATE } from "../../src/observability/trace-context.js";
import { workflow } from "../../src/workflow/index.js";
import { rawSocket } from "../helpers/raw.js";

const ledger = actor({
	db: db({
		onMigrate: (sql) => sql.execute("CREATE TABLE IF NOT EXISTS notes (note TEXT NOT NULL)"),
	}),
	state: { count: 0 },
	actions: {
		record: async (c, note: string) => {
			await c.db.execute("INSERT INTO notes (note) VALUES (?)", note);
			return ++c.state.count;
		},
		count: (c) => c.state.count,
		/** Calls another ledger (actor to actor). */
		recordIn: async (c, key: string, note: string) => {
			const client = c.client() as Client<typeof registry>;
			return client.ledger.getOrCreate(key).record(note);
		},
	},
});

const flow = actor({
	state: { done: false },
	actions: { isDone: (c) => c.state.done },
	run: workflow(async (ctx) => {
		await ctx.step("mark", (c) => {
			c.state.done = true;
		});
	}),
});

const registry = setup({ use: { ledger, flow }, storage: memoryDriver(), logLevel: "silent" });

/** Registers a provider whose extra processor throws from `onStart` or `onEnd` while `throwing`. */
function installThrowingTracing(where: "onStart" | "onEnd") {
	const exporter = new InMemorySpanExporter();
	const state = { throwing: true };
	const provider = new BasicTracerProvider({
		spanProcessors: [
			new SimpleSpanProcessor(exporter),
			{
				onStart: () => {
					if (state.throwing && where === "onStart") throw new Error("processor onStart broke");
				},
				onEnd: () => {
					if (state.throwing && where === "onEnd") throw new Error("processor onEnd broke");
				},
				forceFlush: async () => {},
				shutdown: async () => {},
			},
		],
	});
	context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
	trace.setGlobalTracerProvider(provider);
	return {
		exporter,
		state,
		async uninstall() {
			state.throwing = false;
			flushSpans();
			trace.disable();
			context.disable();
			propagation.disable();
			await provider.shutdown();
		},
	};
}

let uninstall: (() => Promise<void>) | undefined;
afterEach(async () => {
	await uninstall?.();
	uninstall = undefined;
});

async function post(url: string, args: unknown[], headers: Record<string, string> = {}) {
	const response = await fetch(url, {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body: JSON.stringify({ args }),
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a span processor that throws", () => {
	for (const where of ["onStart", "onEnd"] as const) {
		it(`(${where}) does not fail the requests it traces, nor run an action twice`, async () => {
			const tracing = installThrowingTracing(where);
			uninstall = tracing.uninstall;
			const server = await registry.start({ port: 0, host: "127.0.0.1" });
			try {
				// Keys of this test's own (the memory driver outlives the server).
				const gateway = (key: string, action: string) =>
					`${server.url}/gateway/ledger/action/${action}?rvt-method=getOrCreate&rvt-key=${where}-${key}`;
				// HTTP actions: server span, turn, SQL, commit wait; then an actor-to-actor call.
				expect(await post(gateway("a", "record"), ["one"])).toEqual({
					status: 200,
					body: { output: 1 },
				});
				expect(await post(gateway("a", "recordIn"), [`${where}-b`, "two"])).toEqual({
					status: 200,
					body: { output: 1 },
				});
				// An action on a connection: its deferred server span is read by its SQL span.
				const url = `${server.url.replace("http", "ws")}/gateway/ledger/connect?rvt-method=getOrCreate&rvt-key=${where}-a`;
				const socket = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
				await expect.poll(() => socket.messages.length).toBe(1);
				const request = { tag: "ActionRequest", val: { id: 1, name: "record", args: ["three"] } };
				socket.ws.send(JSON.stringify({ body: request }));
				await expect.poll(() => socket.messages.length).toBe(2);
				expect(JSON.parse(String(socket.messages[1]))).toEqual({
					body: { tag: "ActionResponse", val: { id: 1, output: 2 } },
				});
				socket.ws.close();
				// Workflow steps run too.
				const isDone = `${server.url}/gateway/flow/action/isDone?rvt-method=getOrCreate&rvt-key=${where}`;
				await expect.poll(async () => (await post(isDone, [])).body).toEqual({ output: true });
				flushSpans();
				// Each action ran once.
				tracing.state.throwing = false;
				expect((await post(gateway("a", "count"), [])).body).toEqual({ output: 2 });
				expect((await post(gateway("b", "count"), [])).body).toEqual({ output: 1 });
			} finally {
				await server.close();
			}
		});
	}
});

/** Registers a provider that keeps finished spans in memory (uninstalled after the test). */
function installMemoryTracing(): InMemorySpanExporter {
	const exporter = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
	trace.setGlobalTracerProvider(provider);
	uninstall = async () => {
		trace.disable();
		await provider.shutdown();
	};
	return exporter;
}

describe("a client-chosen actor id", () => {
	it("shows on the server span only when it is an actor id", async () => {
		const exporter = installMemoryTracing();
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		try {
			const hostile = `${"Z".repeat(12_000)}%0A%1B%5B31m`;
			for (const id of [hostile, "0123456789abcdef"]) {
				const answer = await post(`${server.url}/gateway/${id}/action/record`, ["x"]);
				expect(answer.body).toMatchObject({ group: "actor", code: "not_found" });
			}
		} finally {
			await server.close();
		}
		const ids = exporter
			.getFinishedSpans()
			.filter((span) => span.name.startsWith("tenon.http_action"))
			.map((span) => span.attributes["tenon.actor.id"]);
		expect(ids).toEqual(["(unknown)", "0123456789abcdef"]);
	});
});

describe("a client-chosen actor or action name in a failed call's error", () => {
	it("reaches the span's status and exception event cut short, control characters escaped", async () => {
		const exporter = installMemoryTracing();
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		const escapes = "%0A%1B%5B2J%1B%5B31mFAKE";
		try {
			const name = await post(
				`${server.url}/gateway/${"Z".repeat(15_000)}${escapes}/action/record?rvt-method=getOrCreate&rvt-key=a`,
				["x"],
			);
			expect(name.body).toMatchObject({ group: "actor", code: "not_found" });
			const action = await post(
				`${server.url}/gateway/ledger/action/evil${escapes}?rvt-method=getOrCreate&rvt-key=a`,
				[],
			);
			expect(action.body).toMatchObject({ group: "actor", code: "action_not_found" });
		} finally {
			await server.close();
		}
		await flushSpans();
		// Failed with the caller's fault (404s): no error status on an HTTP server span, the
		// exception event still there.
		const failed = exporter
			.getFinishedSpans()
			.filter((span) => span.events.some((event) => event.name === "exception"));
		expect(failed.length).toBeGreaterThanOrEqual(2);
		for (const span of failed) {
			const event = span.events.find((e) => e.name === "exception");
			const attributes = event?.attributes ?? {};
			for (const text of [
				span.status.message ?? "",
				String(attributes["exception.message"]),
				String(attributes["exception.type"]),
			]) {
				// biome-ignore lint/suspicious/noControlCharactersInRegex: the point.
				expect(text).not.toMatch(/[\u0000-\u001f]/);
				expect(text.length).toBeLessThanOrEqual(1_025);
			}
			// The stack keeps its lines (a review: they were escaped into one); only its copy of
			// the message is escaped.
			const stack = String(attributes["exception.stacktrace"]);
			expect(stack.length).toBeLessThanOrEqual(8_192);
			expect(stack).toMatch(/\n\s+at /);
			expect(stack).not.toContain("\u001b");
			// exception.type: the error's code, as the SDK reads it from an Error.
			expect(["not_found", "action_not_found"]).toContain(attributes["exception.type"]);
		}
		const messages = failed.map((span) =>
			String(span.events.find((e) => e.name === "exception")?.attributes?.["exception.message"]),
		);
		expect(messages.some((message) => message.includes("\\u001b[31mFAKE"))).toBe(true);
	});
});

describe("a client's tracestate", () => {
	it("does not travel with a traceparent Tenon writes in place of the client's", async () => {
		const provider = new BasicTracerProvider();
		context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
		trace.setGlobalTracerProvider(provider);
		uninstall = async () => {
			trace.disable();
			context.disable();
			await provider.shutdown();
		};
		const tracer = trace.getTracer("test");
		// A forwarded request's headers, copied from the client's (cluster/forward.ts).
		const headers = new Headers({
			traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
			tracestate: "vendor=client-chosen",
		});
		tracer.startActiveSpan("tenon.cluster.forward", (span: Span) => {
			injectTraceHeaders(headers);
			span.end();
		});
		expect(headers.get("traceparent")).not.toContain("b7ad6b7169203331");
		expect(headers.get(TRACESTATE)).toBeNull();
	});
});

describe("a client's trace context", () => {
	it("is ignored when malformed, huge or repeated, and the call is served", async () => {
		const exporter = new InMemorySpanExporter();
		const provider = new BasicTracerProvider({
			spanProcessors: [new SimpleSpanProcessor(exporter)],
		});
		context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
		trace.setGlobalTracerProvider(provider);
		uninstall = async () => {
			flushSpans();
			trace.disable();
			context.disable();
			await provider.shutdown();
		};
		const valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
		const hostile: Record<string, string>[] = [
			{ traceparent: "x".repeat(12_000) },
			{ traceparent: `${valid}-extra` },
			{ traceparent: `ff${valid.slice(2)}` },
			{ traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01" },
			{ traceparent: `${valid}, ${valid}` },
			{ traceparent: valid, tracestate: `${"k=v,".repeat(3000)}k=v` },
			{ traceparent: valid, tracestate: "=,,a==b,UPPER=1,k=v v" },
		];
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		try {
			const url = `${server.url}/gateway/ledger/action/count?rvt-method=getOrCreate&rvt-key=tc`;
			for (const headers of hostile) expect((await post(url, [], headers)).status).toBe(200);
			// On a connection: a traceparent field that is not a string, or too long.
			const ws = `${server.url.replace("http", "ws")}/gateway/ledger/connect?rvt-method=getOrCreate&rvt-key=tc`;
			const socket = await rawSocket(ws, ["rivet", "rivet_encoding.json"]);
			await expect.poll(() => socket.messages.length).toBe(1);
			const fields = [
				{ traceparent: { a: 1 } },
				{ traceparent: 7 },
				{ traceparent: "y".repeat(5000) },
			];
			for (const [id, extra] of fields.entries()) {
				const request = { tag: "ActionRequest", val: { id, name: "count", args: [], ...extra } };
				socket.ws.send(JSON.stringify({ body: request }));
			}
			await expect.poll(() => socket.messages.length).toBe(4);
			for (const message of socket.messages.slice(1))
				expect(JSON.parse(String(message)).body.tag).toBe("ActionResponse");
			socket.ws.close();
		} finally {
			await server.close();
		}
		flushSpans();
		const servers = exporter
			.getFinishedSpans()
			.filter((span) => /^tenon\.(http|ws)_action/.test(span.name));
		expect(servers).toHaveLength(hostile.length + 3);
		// Only the valid traceparents were taken as parents; of the tracestates, the one over
		// 512 characters was dropped whole, the other kept its one valid entry.
		const parented = servers.filter((span) => span.parentSpanContext !== undefined);
		expect(parented).toHaveLength(2);
		const states = servers.map((span) => span.spanContext().traceState?.serialize() ?? "");
		expect(states.filter((state) => state !== "")).toEqual(["k=v v"]);
	});
});
