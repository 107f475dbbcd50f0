// The sandbox's public API and the host side: a small pool of worker threads, each running
// guest code in QuickJS (quickjs-engine.ts, through worker-entry.ts), killed when a run
// outlives its deadline.

import type { Worker } from "node:worker_threads";
import { startWorker } from "./start-worker.js";
import type { WorkerReply, WorkerRequest, WorkerStats } from "./worker-messages.js";

/** Limits of one {@link runInSandbox} run; every field is optional. */
export interface SandboxLimits {
	/** Wall time of one run in ms, from the fresh runtime to the converted result. Default 1000. */
	timeLimitMs?: number;
	/**
	 * Guest heap in bytes, enforced on the WASM engine's memory (QuickJS's own limit is
	 * ineffective in WASM, see `wasmHeapCapBytes` in quickjs-engine.ts). Default 16 MiB.
	 */
	memoryLimitBytes?: number;
	/** QuickJS's stack limit in bytes; deeper recursion ends as `memory`. Default 512 KiB, max 4 MiB. */
	stackSizeBytes?: number;
	/** UTF-8 bytes of console output plus the result's JSON; output beyond is cut. Default 16 KiB. */
	maxOutputBytes?: number;
}

/** How a run may be cut short. */
export interface SandboxRunOptions {
	/**
	 * Ends the run when it aborts: a run still waiting for a worker leaves the queue, a running
	 * one's worker is terminated (and replaced). The run then rejects with the signal's reason.
	 */
	signal?: AbortSignal;
}

/**
 * Why a run failed: the limit it hit, how the code itself failed, or `busy` when
 * {@link MAX_WAITING} runs already wait for a worker.
 */
export type SandboxErrorKind = "timeout" | "memory" | "syntax" | "runtime" | "output" | "busy";

/**
 * What a run produced. `result` is the JSON-serializable value the code returned: its last
 * expression (top-level `await` allowed), or a module's default export. Values JSON cannot
 * represent become their string form; `undefined` stays `undefined`. `logs` holds console
 * output, one entry per call, `console.error`/`console.warn` lines prefixed `[error] `/`[warn] `.
 */
export type SandboxResult =
	| { ok: true; result: unknown; logs: string[] }
	| { ok: false; error: { kind: SandboxErrorKind; message: string }; logs: string[] };

/** Health of the sandbox's workers and WASM engines, for monitoring and leak checks. */
export interface SandboxEngineStats {
	/** Runs started since the process began. */
	readonly runs: number;
	/** Worker threads started; a new one replaces a worker killed at a run's deadline. */
	readonly workersStarted: number;
	/** WASM engines created in all workers; a run that wrecks its engine causes a new one. */
	readonly enginesCreated: number;
	/** Linear memory of the last run's engine in bytes (WASM memory never shrinks). */
	readonly wasmMemoryBytes: number;
	/** Why an engine was last retired or a worker killed, if ever. */
	readonly lastRetirement: string | undefined;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const DEFAULT_LIMITS: Required<SandboxLimits> = {
	timeLimitMs: 1000,
	memoryLimitBytes: 16 * MIB,
	stackSizeBytes: 512 * KIB,
	maxOutputBytes: 16 * KIB,
};
/** quickjs-emscripten builds its WASM with a 5 MB C stack; QuickJS's limit must stay inside it. */
const MAX_STACK_SIZE_BYTES = 4 * MIB;
/** Workers running guest code at once; more runs wait for a free one. */
const POOL_SIZE = 2;
/**
 * Runs that may wait for a worker; more are refused at once as `busy`. Unbounded, one user's
 * prompts queued hundreds of endless loops, and everyone else's runs waited behind them for
 * minutes (an attacker probe, 2026-11-27).
 */
const MAX_WAITING = 16;
/**
 * The host kills the worker this long after a run's time limit. QuickJS polls its interrupt
 * handler only every 10 000 bytecode ticks, and a tick may be long native work:
 * `for (;;) a.slice()` on a 300 000-element array ran 48 s past a 500 ms limit in-process.
 */
const KILL_GRACE_MS = 150;

/**
 * Runs untrusted JavaScript in a fresh QuickJS runtime and context (WebAssembly) on a worker
 * thread, with no host access: only the ECMAScript built-ins and a `console` that collects
 * output. No `require`, `process`, `fetch`, timers, filesystem, or module imports. Time, heap,
 * stack and output are limited; hostile code ends as a `timeout`, `memory` or `output` error,
 * never as an exception. The calling thread is never blocked: a run that outlives its time
 * limit by {@link KILL_GRACE_MS} is ended by terminating its worker (its logs are lost then).
 *
 * @throws RangeError for invalid limits; an Error if no sandbox worker can start, or if the
 * sandbox's own code fails in the worker (a bug: that worker is replaced).
 * @example
 * const run = await runInSandbox("const xs = [3, 1, 2]; console.log(xs.length); xs.sort()");
 * // { ok: true, result: [1, 2, 3], logs: ["3"] }
 * const loop = await runInSandbox("while (true) {}", { timeLimitMs: 200 });
 * // { ok: false, error: { kind: "timeout", message: "..." }, logs: [] }
 */
export async function runInSandbox(
	code: string,
	limits?: SandboxLimits,
	options: SandboxRunOptions = {},
): Promise<SandboxResult> {
	if (typeof code !== "string") throw new TypeError("runInSandbox: code must be a string");
	const resolved = resolveLimits(limits);
	options.signal?.throwIfAborted();
	hostStats.runs++;
	// The source is copied into the engine's heap by quickjs-emscripten, which does not check
	// that its malloc succeeded: 20 MB of code overwrote low WASM memory and crashed the engine.
	const codeBytes = Buffer.byteLength(code, "utf8");
	if (codeBytes > resolved.memoryLimitBytes / 2) {
		const message = `The code is ${codeBytes} bytes, more than half the sandbox's ${resolved.memoryLimitBytes}-byte memory`;
		return { ok: false, error: { kind: "memory", message }, logs: [] };
	}
	return pool.run(code, resolved, options.signal);
}

/**
 * Counters of the sandbox's workers and engines, as of the last finished run.
 *
 * @example
 * const { workersStarted, enginesCreated, wasmMemoryBytes } = sandboxEngineStats();
 */
export function sandboxEngineStats(): SandboxEngineStats {
	return { ...hostStats };
}

/**
 * Terminates the sandbox's workers, e.g. on server shutdown; runs in progress end as
 * `runtime` errors. Later runs start new workers.
 *
 * @example
 * process.once("SIGTERM", () => void shutdownSandbox());
 */
export async function shutdownSandbox(): Promise<void> {
	await pool.shutdown();
}

/**
 * JS heap of the idle sandbox workers after a full garbage collection, in bytes: a leak check
 * for long-running servers and tests. The first call sets V8's `--expose-gc` flag (process
 * wide; it only makes `gc` available to new contexts).
 *
 * @example
 * const before = await measureSandboxHeap();
 */
export async function measureSandboxHeap(): Promise<number> {
	return pool.measureHeap();
}

const hostStats = {
	runs: 0,
	workersStarted: 0,
	enginesCreated: 0,
	wasmMemoryBytes: 0,
	lastRetirement: undefined as string | undefined,
};

/** A request awaiting its reply; `fail` settles it when the worker goes away. */
interface Awaiting {
	answer(reply: WorkerReply): void;
	fail(kind: SandboxErrorKind, message: string): void;
}

/** One worker thread and the requests it is answering. */
class SandboxWorker {
	readonly ready: Promise<void>;
	readonly #worker: Worker;
	readonly #awaiting = new Map<number, Awaiting>();
	#alive = true;
	#enginesReported = 0;
	#retirementReported: string | undefined;
	#nextId = 1;

	constructor() {
		this.#worker = startWorker();
		hostStats.workersStarted++;
		let booted: () => void = () => {};
		let failedToBoot: (error: Error) => void = () => {};
		this.ready = new Promise((resolve, reject) => {
			booted = resolve;
			failedToBoot = reject;
		});
		this.#worker.on("message", (reply: WorkerReply) => {
			if (reply.type === "ready") {
				booted();
				return;
			}
			const awaiting = this.#awaiting.get(reply.id);
			this.#awaiting.delete(reply.id);
			awaiting?.answer(reply);
		});
		this.#worker.on("error", (error) => {
			failedToBoot(new Error(`agent-sandbox: the sandbox worker failed: ${error.message}`));
			const memory = (error as { code?: unknown }).code === "ERR_WORKER_OUT_OF_MEMORY";
			this.#end(memory ? "memory" : "runtime", `The sandbox worker crashed: ${error.message}`);
		});
		this.#worker.on("exit", (exitCode) => {
			failedToBoot(new Error(`agent-sandbox: the sandbox worker exited (code ${exitCode})`));
			this.#end("runtime", `The sandbox worker exited (code ${exitCode})`);
		});
	}

	get alive(): boolean {
		return this.#alive;
	}

	/**
	 * Runs `code`; resolves at the latest {@link KILL_GRACE_MS} after the time limit, or
	 * rejects with `signal`'s reason once it aborts (the worker is then terminated).
	 */
	run(
		code: string,
		limits: Required<SandboxLimits>,
		signal: AbortSignal | undefined,
	): Promise<SandboxResult> {
		const id = this.#nextId++;
		return new Promise<SandboxResult>((resolve, reject) => {
			const onAbort = () => {
				clearTimeout(killTimer);
				this.#awaiting.delete(id);
				reject(signal?.reason);
				hostStats.lastRetirement = "a worker was killed when its run was aborted";
				this.#end("runtime", "The sandbox run was aborted");
			};
			const killTimer = setTimeout(() => {
				signal?.removeEventListener("abort", onAbort);
				hostStats.lastRetirement = "a worker was killed at a run's deadline";
				this.#end("timeout", `The code ran past its time limit of ${limits.timeLimitMs} ms`);
			}, limits.timeLimitMs + KILL_GRACE_MS);
			signal?.addEventListener("abort", onAbort, { once: true });
			this.#awaiting.set(id, {
				answer: (reply) => {
					signal?.removeEventListener("abort", onAbort);
					clearTimeout(killTimer);
					if (reply.type === "result") {
						this.#record(reply.stats);
						resolve(reply.result);
					} else {
						// The worker's own code threw: its state is unknown, so it is not used again.
						this.#end("runtime", "The sandbox worker failed");
						reject(new Error(`agent-sandbox: the sandbox worker failed: ${describeReply(reply)}`));
					}
				},
				fail: (kind, message) => {
					signal?.removeEventListener("abort", onAbort);
					clearTimeout(killTimer);
					resolve({ ok: false, error: { kind, message }, logs: [] });
				},
			});
			this.#worker.ref();
			this.#worker.postMessage({ type: "run", id, code, limits } satisfies WorkerRequest);
		});
	}

	/** The worker's JS heap after a full collection. */
	measureHeap(): Promise<number> {
		const id = this.#nextId++;
		return new Promise<number>((resolve, reject) => {
			this.#awaiting.set(id, {
				answer: (reply) => {
					if (reply.type === "heap") resolve(reply.heapUsedBytes);
					else reject(new Error(`agent-sandbox: heap measurement failed: ${describeReply(reply)}`));
				},
				fail: (_kind, message) => reject(new Error(`agent-sandbox: ${message}`)),
			});
			this.#worker.postMessage({ type: "measureHeap", id } satisfies WorkerRequest);
		});
	}

	/** Lets the process exit while this worker is idle. */
	idle(): void {
		this.#worker.unref();
	}

	terminate(): Promise<void> {
		this.#end("runtime", "The sandbox was shut down");
		return this.#worker.terminate().then(() => undefined);
	}

	#record(stats: WorkerStats): void {
		hostStats.enginesCreated += stats.enginesCreated - this.#enginesReported;
		this.#enginesReported = stats.enginesCreated;
		hostStats.wasmMemoryBytes = stats.wasmMemoryBytes;
		if (stats.lastRetirement !== this.#retirementReported) {
			this.#retirementReported = stats.lastRetirement;
			hostStats.lastRetirement = stats.lastRetirement;
		}
	}

	/** Ends the worker; whatever it was still answering fails with `kind`. */
	#end(kind: SandboxErrorKind, message: string): void {
		if (this.#alive) {
			this.#alive = false;
			void this.#worker.terminate();
		}
		const awaiting = [...this.#awaiting.values()];
		this.#awaiting.clear();
		for (const request of awaiting) request.fail(kind, message);
	}
}

function describeReply(reply: WorkerReply): string {
	return reply.type === "failed" ? reply.message : `unexpected ${reply.type} reply`;
}

/** Up to {@link POOL_SIZE} workers, started on demand; runs beyond that wait their turn. */
class WorkerPool {
	readonly #idle: SandboxWorker[] = [];
	readonly #all = new Set<SandboxWorker>();
	readonly #waiting: Waiter[] = [];

	async run(
		code: string,
		limits: Required<SandboxLimits>,
		signal: AbortSignal | undefined,
	): Promise<SandboxResult> {
		const worker = await this.#acquire(signal);
		if (worker === undefined) {
			const message = `${MAX_WAITING} runs already wait for the sandbox's ${POOL_SIZE} workers; try again later`;
			return { ok: false, error: { kind: "busy", message }, logs: [] };
		}
		try {
			// Aborted while its worker started: nothing runs (a listener added to a signal that
			// already aborted never hears it, and the run went on to its time limit).
			signal?.throwIfAborted();
			return await worker.run(code, limits, signal);
		} finally {
			this.#release(worker);
		}
	}

	async measureHeap(): Promise<number> {
		const sizes = await Promise.all(
			this.#idle.filter((worker) => worker.alive).map((worker) => worker.measureHeap()),
		);
		return sizes.reduce((total, size) => total + size, 0);
	}

	async shutdown(): Promise<void> {
		const workers = [...this.#all];
		this.#all.clear();
		this.#idle.length = 0;
		await Promise.all(workers.map((worker) => worker.terminate()));
	}

	/** A worker for a run; undefined when {@link MAX_WAITING} runs wait already. */
	async #acquire(signal?: AbortSignal): Promise<SandboxWorker | undefined> {
		for (let worker = this.#idle.pop(); worker !== undefined; worker = this.#idle.pop()) {
			if (worker.alive) return worker;
			this.#all.delete(worker);
		}
		if (this.#all.size >= POOL_SIZE) {
			if (this.#waiting.length >= MAX_WAITING) return undefined;
			return new Promise((resolve, reject) => {
				// An aborted run leaves the queue: before 2026-11-27 it waited, then ran anyway.
				let settled = false;
				const onAbort = () => {
					settled = true;
					const at = this.#waiting.indexOf(waiter);
					if (at !== -1) this.#waiting.splice(at, 1);
					reject(signal?.reason);
				};
				const waiter: Waiter = {
					resolve: (worker) => {
						// Given a worker after its run was aborted (one started for it): passed on.
						if (settled) return this.#release(worker);
						settled = true;
						signal?.removeEventListener("abort", onAbort);
						resolve(worker);
					},
					reject: (error) => {
						if (settled) return;
						settled = true;
						signal?.removeEventListener("abort", onAbort);
						reject(error);
					},
				};
				signal?.addEventListener("abort", onAbort, { once: true });
				this.#waiting.push(waiter);
			});
		}
		const worker = new SandboxWorker();
		this.#all.add(worker);
		try {
			await worker.ready;
		} catch (error) {
			this.#all.delete(worker);
			throw error;
		}
		return worker;
	}

	#release(worker: SandboxWorker): void {
		if (!worker.alive) this.#all.delete(worker);
		const waiter = this.#waiting.shift();
		if (waiter !== undefined) {
			// A dead worker's place goes to a new one, started for the waiting run.
			if (worker.alive) waiter.resolve(worker);
			else this.#startFor(waiter);
			return;
		}
		if (!worker.alive || !this.#all.has(worker)) return;
		worker.idle();
		this.#idle.push(worker);
	}

	/** Starts a worker for `waiter` (a dead worker's place), or queues it first again. */
	#startFor(waiter: Waiter): void {
		this.#acquire().then((worker) => {
			if (worker !== undefined) waiter.resolve(worker);
			else this.#waiting.unshift(waiter);
		}, waiter.reject);
	}
}

/** A run waiting for a worker. */
interface Waiter {
	resolve(worker: SandboxWorker): void;
	reject(error: unknown): void;
}

const pool = new WorkerPool();

function resolveLimits(limits: SandboxLimits = {}): Required<SandboxLimits> {
	const resolved: Required<SandboxLimits> = {
		timeLimitMs: limits.timeLimitMs ?? DEFAULT_LIMITS.timeLimitMs,
		memoryLimitBytes: limits.memoryLimitBytes ?? DEFAULT_LIMITS.memoryLimitBytes,
		stackSizeBytes: limits.stackSizeBytes ?? DEFAULT_LIMITS.stackSizeBytes,
		maxOutputBytes: limits.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes,
	};
	for (const [name, value] of Object.entries(resolved)) {
		if (!Number.isFinite(value) || value <= 0) {
			throw new RangeError(`runInSandbox: ${name} must be a positive number, got ${value}`);
		}
	}
	if (resolved.stackSizeBytes > MAX_STACK_SIZE_BYTES) {
		throw new RangeError(
			`runInSandbox: stackSizeBytes must be at most ${MAX_STACK_SIZE_BYTES} (the WASM build's C stack is 5 MB), got ${resolved.stackSizeBytes}`,
		);
	}
	return resolved;
}
