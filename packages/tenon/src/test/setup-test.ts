import { WebSocket } from "ws";
import type { ActorDefinitions } from "../actor/registry-types.js";
import { createClient } from "../client/client.js";
import type { WebSocketConstructor } from "../client/transport.js";
import type { AnyRegistry, Client } from "../client/types.js";
import type { LogLevel } from "../common/logger.js";
import type { Encoding } from "../protocol/encoding.js";
import type { Registry } from "../registry/registry.js";
import type { Runtime } from "../runtime/runtime.js";
import type { TenonServer } from "../server/node-adapter.js";
import { memoryDriver } from "../storage/drivers/memory/index.js";
import type { StorageDriver } from "../storage/interfaces.js";
import { readWorkflowHistory } from "../workflow/history.js";
import type { WorkflowHistory } from "../workflow/types.js";
import { ManualClock } from "./manual-clock.js";

/** The endpoint the test client is created with; requests are routed to the live server. */
const VIRTUAL_ENDPOINT = "http://tenon.test";

/** Options of {@link setupTest}. */
export interface SetupTestOptions {
	/** Storage driver. Default: a fresh memory driver. */
	storage?: StorageDriver;
	/** Client encoding. Default `cbor`. */
	encoding?: Encoding;
	/** Start time of the manual clock (ms). Default: now. */
	startAt?: number;
	/**
	 * The server's log level, over the registry's `logLevel` (e.g. `"silent"`
	 * for a test that provokes errors, `"debug"` to see why one fails).
	 * Default: the registry's `logLevel`, else `TENON_LOG_LEVEL`, else `"warn"`.
	 */
	logLevel?: LogLevel;
}

/** A running test server with a typed client. Dispose it with `await using`. */
export interface TestContext<R> extends AsyncDisposable {
	/** Typed client connected to the test server. */
	readonly client: Client<R>;
	/** Base URL of the test server (changes on `restart`). */
	readonly url: string;
	/** The server's clock: advance it to fire sleep timeouts and timers without waiting. */
	readonly clock: ManualClock;
	/** The storage driver (reuse it to simulate a restart). */
	readonly storage: StorageDriver;
	/** Number of actors awake right now. */
	awakeActors(): number;
	/** Waits until no actor is waking or stopping and every commit has finished. */
	settle(): Promise<void>;
	/**
	 * The committed workflow journal and status of an actor (by id, or a
	 * handle it resolves). Call `settle()` first to include the latest commits.
	 */
	workflowHistory(actor: string | { resolve(): Promise<string> }): Promise<WorkflowHistory>;
	/**
	 * Stops the server (actors sleep, state is saved, connections close with
	 * 1001) and starts it again on the same storage. The client is kept and
	 * follows the new server, so its connections reconnect on their own.
	 */
	restart(): Promise<void>;
	/** Stops the server and disposes the client. */
	stop(): Promise<void>;
}

class TestContextImpl<R extends AnyRegistry> implements TestContext<R> {
	client!: Client<R>;
	url = "";
	readonly clock: ManualClock;
	readonly storage: StorageDriver;
	readonly #registry: Registry<ActorDefinitions>;
	readonly #encoding: Encoding;
	readonly #logLevel: LogLevel | undefined;
	#runtime!: Runtime;
	#server!: TenonServer;

	constructor(registry: Registry<ActorDefinitions>, options: SetupTestOptions) {
		this.#registry = registry;
		this.storage = options.storage ?? memoryDriver();
		this.clock = new ManualClock(options.startAt);
		this.#encoding = options.encoding ?? "cbor";
		// Quiet by default: every test printed "tenon listening" and "management API disabled"
		// (a docs walkthrough, 2026-11-28). Warnings and errors still show; the registry's
		// `logLevel` or TENON_LOG_LEVEL, when set, decide.
		this.#logLevel =
			options.logLevel ??
			(registry.config.logLevel === undefined &&
			registry.config.logLevels?.default === undefined &&
			registry.config.logger === undefined &&
			!process.env.TENON_LOG_LEVEL
				? "warn"
				: undefined);
	}

	async start(): Promise<void> {
		await this.#startServer();
		// The client talks to a fixed virtual endpoint routed to the current
		// server, so `restart()` can use a fresh port: connection pools never
		// reuse a socket of the stopped server, and connections reconnect.
		const route = (url: string) => {
			const routed = new URL(url);
			const current = new URL(this.url);
			routed.protocol = routed.protocol.startsWith("ws") ? "ws:" : current.protocol;
			routed.host = current.host;
			return routed.toString();
		};
		const routedFetch: typeof fetch = (input, init) => {
			const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
			return fetch(route(url), init);
		};
		class RoutedWebSocket extends WebSocket {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(route(url.toString()), protocols);
			}
		}
		this.client = createClient<R>({
			endpoint: VIRTUAL_ENDPOINT,
			encoding: this.#encoding,
			fetch: routedFetch,
			WebSocket: RoutedWebSocket as unknown as WebSocketConstructor,
			reconnect: { minDelayMs: 10, maxDelayMs: 200 },
		});
	}

	async #startServer(): Promise<void> {
		const { runtime, core } = await this.#registry.createRuntime({
			storage: this.storage,
			clock: this.clock,
			...(this.#logLevel === undefined ? {} : { logLevel: this.#logLevel }),
			// Same protections as a server started on loopback (Host check).
			bindHost: "127.0.0.1",
		});
		this.#runtime = runtime;
		// No drain, whatever TENON_DRAIN_MS says: a test's stop and restart are immediate.
		this.#server = await this.#registry.listen(runtime, core, {
			port: 0,
			host: "127.0.0.1",
			drainMs: 0,
		});
		this.url = this.#server.url;
	}

	awakeActors(): number {
		return this.#runtime.host.awakeCount;
	}

	async settle(): Promise<void> {
		// Waits on the real events (instances waking or stopping, commits in
		// flight), and again for whatever those set off, until nothing is left.
		const host = this.#runtime.host;
		for (;;) {
			await new Promise((resolve) => setImmediate(resolve));
			const transitions = host.transitions();
			if (transitions.length === 0 && host.pipeline.idle) return;
			await Promise.all(transitions);
			await host.pipeline.drain();
		}
	}

	async workflowHistory(actor: string | { resolve(): Promise<string> }): Promise<WorkflowHistory> {
		const actorId = typeof actor === "string" ? actor : await actor.resolve();
		return readWorkflowHistory(this.#runtime.storage.store, actorId);
	}

	async restart(): Promise<void> {
		await this.#server.close();
		await this.#startServer();
	}

	async stop(): Promise<void> {
		await this.client.dispose();
		await this.#server.close();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.stop();
	}
}

/**
 * Starts a registry on an in-process server (port 0, memory storage, manual
 * clock) and returns a typed client for it.
 *
 * @example
 * await using t = await setupTest(registry);
 * const counter = t.client.counter.getOrCreate("a");
 * expect(await counter.increment(1)).toBe(1);
 */
// biome-ignore lint/suspicious/noExplicitAny: any actor definition, whatever its type parameters (a wildcard; `unknown` fails variance checks).
export async function setupTest<R extends Registry<any>>(
	registry: R,
	options: SetupTestOptions = {},
): Promise<TestContext<R>> {
	const context = new TestContextImpl<R>(
		registry as unknown as Registry<ActorDefinitions>,
		options,
	);
	await context.start();
	return context;
}
