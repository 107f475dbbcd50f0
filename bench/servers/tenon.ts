// The Tenon server the benchmark drives: LMDB storage, strict durability.
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
	BasicTracerProvider,
	ParentBasedSampler,
	TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { actor, event, flushSpans, lmdbDriver, setup } from "tenon";
import { yjsActor } from "tenon/yjs";
import { startProbe } from "./probe.js";

const counter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => {
			c.state.count++;
			return c.state.count;
		},
		get: (c) => c.state.count,
		sleepNow: (c) => {
			c.sleep();
		},
	},
	options: { sleepTimeout: 600_000 },
});

/** The same counter with `durability: "relaxed"`: saved within a second, after the reply. */
const relaxedCounter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => {
			c.state.count++;
			return c.state.count;
		},
	},
	options: { sleepTimeout: 600_000, durability: "relaxed" },
});

const room = actor({
	state: { sent: 0 },
	events: { tick: event<number>() },
	actions: {
		/** Broadcasts one event to every connection. */
		ping: (c, at: number) => {
			c.state.sent++;
			c.broadcast("tick", at);
		},
		noop: () => null,
	},
	options: { sleepTimeout: 600_000 },
});

/**
 * Shared state kept in step on every connection (`shareState`): a board of
 * 50 notes and a tick; each round changes the tick, so every connection gets
 * a small patch, after the change is durable.
 */
const sharedBoard = actor({
	state: {
		tick: -1,
		notes: Array.from({ length: 50 }, (_, i) => ({
			id: i,
			text: `note ${i}`,
			x: i * 10,
			y: i * 5,
		})),
	},
	shareState: true,
	actions: {
		setTick: (c, at: number) => {
			c.state.tick = at;
		},
		noop: () => null,
	},
	options: { sleepTimeout: 600_000 },
});

const idle = actor({
	state: { n: 0 },
	actions: {
		touch: (c) => c.state.n,
		sleepNow: (c) => {
			c.sleep();
		},
	},
	options: { sleepTimeout: 3_600_000 },
});

/**
 * Hibernation suite: connections stay open while this actor sleeps (after
 * TENON_BENCH_LOBBY_SLEEP_MS idle); `hello` is a durable write that answers
 * with an id of the current wake, so the runner sees that a message woke it.
 */
const lobby = actor({
	state: { messages: 0 },
	createVars: () => ({ wake: Math.random().toString(36).slice(2) }),
	actions: {
		hello: (c) => {
			c.state.messages++;
			return c.vars.wake;
		},
	},
	options: { sleepTimeout: Number(process.env.TENON_BENCH_LOBBY_SLEEP_MS ?? 300) },
});

export const benchRegistry = setup({
	use: { counter, relaxedCounter, room, sharedBoard, idle, lobby, note: yjsActor() },
	// The hibernation suite asks how many sockets hibernate (loopback only).
	inspector: { token: "bench-inspector-token" },
	logLevel: "error",
	// The workloads flood on purpose (thousands of messages a second on one
	// connection); the per-connection abuse limit would measure itself.
	rateLimits: { perConnection: false },
	// Workload 6 keeps up to 100,000 actors awake on purpose. At the default
	// limit (10,000) the host would put the least recently used to sleep as
	// others wake, and the row would measure that churn instead of awake actors.
	limits: { maxAwakeActors: 250_000 },
});

const dataDir = process.env.TENON_DATA_DIR;
if (dataDir) {
	const server = await benchRegistry.start({
		port: 0,
		host: "127.0.0.1",
		storage: lmdbDriver({
			path: dataDir,
			// tenon-txn in the bench: the driver without its commit log, for comparison.
			...(process.env.TENON_BENCH_COMMIT_LOG === "off" ? { commitLog: false } : {}),
		}),
	});
	// The benchmark's probe (not part of Tenon): memory, the broadcast's server-side clock, and
	// a switch for OpenTelemetry tracing (row 1c): on, a tracer provider and a context manager
	// are registered (spans are made and ended, no processor exports them); context, only the
	// context manager (the cost any traced Node app pays, Tenon makes no spans); off, neither;
	// sampled, on with a provider that records one trace in ten (the rest are non-recording spans).
	const provider = new BasicTracerProvider();
	const sampledProvider = new BasicTracerProvider({
		sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
	});
	const contextManager = new AsyncLocalStorageContextManager();
	const probe = await startProbe({
		flushSpans,
		setTracing: (mode) => {
			trace.disable();
			context.disable();
			if (mode === "off") return;
			context.setGlobalContextManager(contextManager.enable());
			// AsyncLocalStorage installs its promise hook on its first run(): do one, as
			// any instrumented app does per request, so "context" pays what "on" pays for it.
			context.with(context.active(), () => {});
			if (mode === "on") trace.setGlobalTracerProvider(provider);
			if (mode === "sampled") trace.setGlobalTracerProvider(sampledProvider);
		},
	});
	process.stdout.write(
		`READY ${server.url.replace("//localhost:", "//127.0.0.1:")} MEMORY ${probe}\n`,
	);
	process.once("SIGTERM", () => {
		void server.close().then(() => process.exit(0));
	});
}
