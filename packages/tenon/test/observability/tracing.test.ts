// Traces (docs/observability.md): one client call yields the documented span
// tree across two actors, over HTTP and over a connection; the client's active
// span is the parent of the server span; without a tracer provider nothing is
// recorded and nothing breaks.
import { trace as otelTrace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import type { Client } from "../../src/client/types.js";
import { db } from "../../src/db/index.js";
import { actor, configureTracing, memoryDriver, setup, UserError } from "../../src/index.js";
import type { TenonServer } from "../../src/server/node-adapter.js";
import { workflow } from "../../src/workflow/index.js";
import { childrenOf, installTracing, spanNamed, type TestTracing } from "../helpers/otel.js";

const ledger = actor({
	db: db({
		onMigrate: (sql) => sql.execute("CREATE TABLE IF NOT EXISTS entries (note TEXT NOT NULL)"),
	}),
	state: { count: 0 },
	actions: {
		record: async (c, note: string) => {
			await c.db.execute("INSERT INTO entries (note) VALUES (?)", note);
			c.state.count++;
			return c.state.count;
		},
	},
});

const front = actor({
	state: { calls: 0 },
	actions: {
		/** Calls the ledger actor (actor-to-actor, through `c.client()`). */
		forward: async (c, note: string) => {
			c.state.calls++;
			const client = c.client() as Client<typeof registry>;
			return client.ledger.getOrCreate("main").record(note);
		},
		/** Calls the ledger's action named `name` (app code forwarding a client's choice). */
		forwardAs: async (c, name: string) => {
			const client = c.client() as Client<typeof registry>;
			return (
				client.ledger
					.getOrCreate("main")
					// A hostile name the types would refuse: cast to reach the server with it.
					.action({ name: name as "record", args: [] as unknown as [string] })
					.catch((error: { code?: string }) => error.code)
			);
		},
		refuse: () => {
			throw new UserError("not today", { code: "closed" });
		},
		/** Fails with the server's fault (an error that is not a UserError: 500). */
		crash: () => {
			throw new Error("the disk is on fire");
		},
		/** A raw request to the ledger at `path` (app code passing a client's path on). */
		fetchRaw: async (c, path: string) => {
			const client = c.client() as Client<typeof registry>;
			return (await client.ledger.getOrCreate("main").fetch(path)).status;
		},
		/** A durable write and nothing that reads the trace (after `ms` of waiting). */
		bump: async (c, ms = 0) => {
			if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
			return ++c.state.calls;
		},
		/** The id of the span active in the action (user code reading the trace). */
		activeSpanId: (c) => {
			c.state.calls++;
			return otelTrace.getActiveSpan()?.spanContext().spanId ?? null;
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

const timer = actor({
	state: { fired: 0 },
	actions: {
		arm: async (c) => {
			await c.schedule.after(0, "fire");
		},
		fire: (c) => {
			c.state.fired++;
		},
		fired: (c) => c.state.fired,
	},
});

const registry = setup({
	use: { ledger, front, flow, timer },
	storage: memoryDriver(),
	logLevel: "silent",
});

/** The spans of one trace, by the id of its root. */
function traceOf(spans: readonly ReadableSpan[], root: ReadableSpan): ReadableSpan[] {
	const traceId = root.spanContext().traceId;
	return spans.filter((span) => span.spanContext().traceId === traceId);
}

/** Names of `parent`'s children, sorted. */
function childNames(spans: readonly ReadableSpan[], parent: ReadableSpan): string[] {
	return childrenOf(spans, parent)
		.map((span) => span.name)
		.sort();
}

const durationNs = (span: ReadableSpan) => span.duration[0] * 1e9 + span.duration[1];

/** Waits until a span named `name` finished (server spans end when their reply leaves). */
async function finished(tracing: TestTracing, name: string): Promise<void> {
	await expect.poll(() => tracing.spans().some((span) => span.name === name)).toBe(true);
}

describe("traces with a tracer provider registered", () => {
	/** When the SDK started the last span of each name (epoch ms). */
	const startedAt = new Map<string, number>();
	let tracing: TestTracing;
	let server: TenonServer;
	let client: Client<typeof registry>;

	beforeAll(async () => {
		tracing = installTracing((span) => {
			if ("name" in span && typeof span.name === "string")
				startedAt.set(span.name, performance.now() + performance.timeOrigin);
		});
		server = await registry.start({ port: 0, host: "127.0.0.1" });
		client = createClient<typeof registry>({ endpoint: server.url });
	});
	afterAll(async () => {
		await client.dispose();
		await server.close();
		await tracing.uninstall();
		configureTracing({});
	});

	it("an HTTP action calling another actor: the span tree under the client's span", async () => {
		tracing.exporter.reset();
		const output = await tracing.inSpan("client call", () =>
			client.front.getOrCreate("f1").forward("first"),
		);
		expect(output).toBe(1);
		const spans = tracing.spans();
		const root = spanNamed(spans, "client call");
		const trace = traceOf(spans, root);

		// The client's active span is the parent of the server span (its traceparent header).
		const serverSpan = spanNamed(trace, "tenon.http_action forward");
		expect(serverSpan.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
		expect(serverSpan.kind).toBe(1); // SERVER
		expect(serverSpan.attributes).toMatchObject({
			"tenon.actor.name": "front",
			"tenon.action.name": "forward",
			"tenon.transport": "http",
			"http.response.status_code": 200,
		});
		expect(childNames(trace, serverSpan)).toEqual(["tenon.commit_wait", "tenon.turn forward"]);

		// A's turn calls B: a client span, then B's server span, turn and commit wait.
		const turnA = spanNamed(trace, "tenon.turn forward");
		expect(turnA.attributes["tenon.actor.name"]).toBe("front");
		const call = spanNamed(trace, "tenon.actor_call record");
		expect(call.kind).toBe(2); // CLIENT
		expect(call.parentSpanContext?.spanId).toBe(turnA.spanContext().spanId);
		const serverB = spanNamed(trace, "tenon.http_action record");
		expect(serverB.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
		expect(serverB.attributes["tenon.actor.name"]).toBe("ledger");
		// B woke for this call: its migration's statements ran inside the request too.
		const underB = childNames(trace, serverB);
		expect(underB.filter((name) => !name.startsWith("tenon.sql"))).toEqual([
			"tenon.commit_wait",
			"tenon.turn record",
		]);
		expect(underB).toContain("tenon.sql CREATE");

		// B's SQL statement, inside B's turn, without its text by default.
		const turnB = spanNamed(trace, "tenon.turn record");
		const sql = spanNamed(trace, "tenon.sql INSERT");
		expect(sql.parentSpanContext?.spanId).toBe(turnB.spanContext().spanId);
		expect(sql.attributes).toMatchObject({
			"db.system.name": "sqlite",
			"db.operation.name": "INSERT",
		});
		expect(sql.attributes["db.query.text"]).toBeUndefined();
	});

	it("an actor-to-actor call's span shows an action name that is not a plain name as (unknown)", async () => {
		// Regression (a probe, 2026-11-27): the name became the span's name whatever it was.
		tracing.exporter.reset();
		const hostile = `x\n${"y".repeat(5_000)}`;
		await tracing.inSpan("hostile name", () => client.front.getOrCreate("f3").forwardAs(hostile));
		const names = tracing.spans().map((span) => span.name);
		expect(names).toContain("tenon.actor_call (unknown)");
		expect(names.filter((name) => name.length > 200)).toEqual([]);
		const call = spanNamed(tracing.spans(), "tenon.actor_call (unknown)");
		expect(call.attributes["tenon.action.name"]).toBe("(unknown)");
	});

	it("an actor-to-actor raw request's span keeps at most 128 characters of its path", async () => {
		// Regression (an SRE walkthrough, 2026-11-28): the whole path (3,119 characters, a
		// secret among its segments) reached every exporter.
		tracing.exporter.reset();
		const long = `/reset/${"secret-token-".repeat(300)}`;
		await tracing.inSpan("raw path", () => client.front.getOrCreate("f4").fetchRaw(long));
		const call = tracing.spans().find((span) => span.name.startsWith("tenon.actor_call GET"));
		expect(
			call,
			tracing
				.spans()
				.map((span) => span.name)
				.join(", "),
		).toBeDefined();
		const path = String(call?.attributes["url.path"]);
		expect(path.length).toBeLessThanOrEqual(130);
		expect(path).toContain("/reset/");
	});

	it("an action on a connection: the message's traceparent is the parent of the server span", async () => {
		tracing.exporter.reset();
		configureTracing({ includeSqlText: true });
		const conn = client.front.getOrCreate("f2").connect();
		try {
			const output = await tracing.inSpan("client ws call", () => conn.forward("second"));
			expect(output).toBe(2);
			await finished(tracing, "tenon.ws_action forward");
		} finally {
			await conn.dispose();
			configureTracing({});
		}
		const spans = tracing.spans();
		const root = spanNamed(spans, "client ws call");
		const trace = traceOf(spans, root);
		const serverSpan = spanNamed(trace, "tenon.ws_action forward");
		expect(serverSpan.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
		expect(serverSpan.attributes).toMatchObject({
			"tenon.actor.name": "front",
			"tenon.transport": "websocket",
		});
		// The server span is the turn too: the call to the ledger and the commit wait are its children.
		expect(childNames(trace, serverSpan)).toEqual(["tenon.actor_call record", "tenon.commit_wait"]);
		expect(trace.some((span) => span.name === "tenon.turn forward")).toBe(false);
		// The reply leaves after the commit: the server span lasts its commit wait and more. (Spans'
		// start times are whole milliseconds, so ends of different spans do not compare exactly.)
		const wait = childrenOf(trace, serverSpan).find((span) => span.name === "tenon.commit_wait");
		expect(wait).toBeDefined();
		expect(durationNs(serverSpan)).toBeGreaterThanOrEqual(durationNs(wait as ReadableSpan));
		expect(spanNamed(trace, "tenon.sql INSERT").attributes["db.query.text"]).toBe(
			"INSERT INTO entries (note) VALUES (?)",
		);
	});

	it("an action on a connection that reads no trace makes its spans after it answers, with their times", async () => {
		tracing.exporter.reset();
		const conn = client.front.getOrCreate("f5").connect();
		let called = 0;
		let answered = 0;
		try {
			await conn.bump();
			called = Date.now();
			await tracing.inSpan("client bump", () => conn.bump(30));
			answered = Date.now();
			await finished(tracing, "tenon.ws_action bump");
		} finally {
			await conn.dispose();
		}
		const spans = tracing.spans();
		const trace = traceOf(spans, spanNamed(spans, "client bump"));
		const serverSpan = spanNamed(trace, "tenon.ws_action bump");
		expect(childNames(trace, serverSpan)).toEqual(["tenon.commit_wait"]);
		const wait = childrenOf(trace, serverSpan)[0] as ReadableSpan;
		const ms = (time: readonly [number, number]) => time[0] * 1e3 + time[1] / 1e6;
		// The span began when the message came (the clocks: Date.now() here, performance.now()
		// there, hence 1 ms of slack), and the action's 30 ms later the SDK started it.
		expect(ms(serverSpan.startTime)).toBeGreaterThanOrEqual(called - 1);
		expect(ms(serverSpan.startTime)).toBeLessThanOrEqual(answered + 1);
		expect(durationNs(serverSpan) / 1e6).toBeGreaterThanOrEqual(29);
		expect(startedAt.get("tenon.ws_action bump")).toBeGreaterThanOrEqual(
			ms(serverSpan.startTime) + 29,
		);
		expect(ms(wait.startTime)).toBeGreaterThanOrEqual(ms(serverSpan.startTime) + 29);
		expect(ms(wait.endTime)).toBeLessThanOrEqual(ms(serverSpan.endTime));
		expect(serverSpan.status.code).toBe(0);
	});

	it("user code that reads the active span in an action on a connection gets the server span", async () => {
		tracing.exporter.reset();
		const conn = client.front.getOrCreate("f6").connect();
		let spanId: string | null = null;
		try {
			spanId = await tracing.inSpan("client reads", () => conn.activeSpanId());
			await finished(tracing, "tenon.ws_action activeSpanId");
		} finally {
			await conn.dispose();
		}
		const spans = tracing.spans();
		const trace = traceOf(spans, spanNamed(spans, "client reads"));
		const serverSpan = spanNamed(trace, "tenon.ws_action activeSpanId");
		expect(spanId).toBe(serverSpan.spanContext().spanId);
		expect(childNames(trace, serverSpan)).toEqual(["tenon.commit_wait"]);
	});

	it("a failing action marks its span: the WebSocket server span, or the turn over HTTP", async () => {
		tracing.exporter.reset();
		const conn = client.front.getOrCreate("f4").connect();
		try {
			await expect(tracing.inSpan("ws refuse", () => conn.refuse())).rejects.toMatchObject({
				group: "user",
				code: "closed",
			});
			await finished(tracing, "tenon.ws_action refuse");
		} finally {
			await conn.dispose();
		}
		await expect(
			tracing.inSpan("http refuse", () => client.front.getOrCreate("f4").refuse()),
		).rejects.toMatchObject({ code: "closed" });
		await finished(tracing, "tenon.http_action refuse");
		await expect(
			tracing.inSpan("http crash", () => client.front.getOrCreate("f4").crash()),
		).rejects.toMatchObject({ group: "core", code: "internal_error" });
		await finished(tracing, "tenon.http_action crash");
		const spans = tracing.spans();
		const failed = (span: ReadableSpan, status = 2) => {
			expect(span.status.code).toBe(status);
			expect(span.attributes).toMatchObject({
				"tenon.error.group": "user",
				"tenon.error.code": "closed",
			});
			expect(span.events.map((event) => event.name)).toContain("exception");
		};
		failed(spanNamed(spans, "tenon.ws_action refuse"));
		const httpTrace = traceOf(spans, spanNamed(spans, "http refuse"));
		failed(spanNamed(httpTrace, "tenon.turn refuse"));
		// The HTTP server span of a 4xx leaves its status unset, as OpenTelemetry's HTTP
		// conventions ask (an operator's walkthrough, 2026-11-29: APM error rates counted
		// every refused call); the error's group, code and exception event stay.
		failed(spanNamed(httpTrace, "tenon.http_action refuse"), 0);
		// With the status it was answered (an SRE walkthrough, 2026-11-29: only 200s had one).
		expect(spanNamed(httpTrace, "tenon.http_action refuse").attributes).toMatchObject({
			"http.response.status_code": 400,
		});
		// A 5xx is the server's failure: an error status.
		const crashed = spanNamed(
			traceOf(spans, spanNamed(spans, "http crash")),
			"tenon.http_action crash",
		);
		expect(crashed.status.code).toBe(2);
		expect(crashed.attributes).toMatchObject({
			"http.response.status_code": 500,
			"error.type": "core/internal_error",
			"http.route": "/gateway/{actor}/action/{action}",
		});
		expect(spanNamed(httpTrace, "tenon.http_action refuse").attributes).not.toHaveProperty(
			"error.type",
		);
	});

	it("workflow steps that run are spans outside the request that woke the actor", async () => {
		tracing.exporter.reset();
		const handle = client.flow.getOrCreate("w1");
		await tracing.inSpan("wake the workflow", () => handle.isDone());
		await expect.poll(() => handle.isDone()).toBe(true);
		await finished(tracing, "tenon.workflow.step mark");
		const spans = tracing.spans();
		const step = spanNamed(spans, "tenon.workflow.step mark");
		expect(step.attributes).toMatchObject({
			"tenon.workflow.step.name": "mark",
			"tenon.workflow.step.attempt": 1,
		});
		// Its own trace: the `run` handler is not a child of the waking request.
		const root = spanNamed(spans, "wake the workflow");
		expect(step.spanContext().traceId).not.toBe(root.spanContext().traceId);
	});

	it("a scheduled action's turn starts a trace of its own, not one under the request that armed it", async () => {
		tracing.exporter.reset();
		const handle = client.timer.getOrCreate("t1");
		await tracing.inSpan("arm", () => handle.arm());
		await expect.poll(() => handle.fired()).toBe(1);
		await finished(tracing, "tenon.turn fire");
		const spans = tracing.spans();
		const fire = spanNamed(spans, "tenon.turn fire");
		expect(fire.parentSpanContext).toBeUndefined();
		expect(fire.spanContext().traceId).not.toBe(spanNamed(spans, "arm").spanContext().traceId);
	});

	it("a BARE client sends no per-message trace context, and its call still works", async () => {
		tracing.exporter.reset();
		const bare = createClient<typeof registry>({ endpoint: server.url, encoding: "bare" });
		const conn = bare.front.getOrCreate("f3").connect();
		try {
			expect(await tracing.inSpan("bare call", () => conn.forward("third"))).toBe(3);
			await finished(tracing, "tenon.ws_action forward");
		} finally {
			await conn.dispose();
			await bare.dispose();
		}
		const spans = tracing.spans();
		const serverSpan = spanNamed(spans, "tenon.ws_action forward");
		// A new trace: BARE's schema has no field for the context (docs/protocol.md).
		expect(serverSpan.parentSpanContext).toBeUndefined();
	});
});

describe("traces without a tracer provider", () => {
	it("records nothing, sends no traceparent, and calls work over HTTP and connections", async () => {
		const seen: (string | null)[] = [];
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		const client = createClient<typeof registry>({
			endpoint: server.url,
			fetch: (input, init) => {
				seen.push(new Headers(init?.headers).get("traceparent"));
				return fetch(input, init);
			},
		});
		// A provider registered and removed before: its exporter must see nothing afterwards.
		const earlier = installTracing();
		await earlier.uninstall();
		try {
			const first = await client.front.getOrCreate("off").forward("x");
			const conn = client.front.getOrCreate("off").connect();
			expect(await conn.forward("y")).toBe(first + 1);
			await conn.dispose();
			expect(earlier.spans()).toEqual([]);
			expect(seen.length).toBeGreaterThan(0);
			expect(seen.every((value) => value === null)).toBe(true);
		} finally {
			await client.dispose();
			await server.close();
		}
	});
});
