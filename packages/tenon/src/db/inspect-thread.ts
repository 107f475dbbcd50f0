import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ActorError } from "../protocol/errors.js";
import type { Entry } from "../storage/interfaces.js";
import { ReadOnlyQueryError } from "./console-guards.js";
import {
	answer,
	errorOf,
	type FailedAnswer,
	type InspectRequest,
	type PackedEntries,
	packEntries,
	unpackEntries,
} from "./inspect-request.js";

/**
 * The inspector's reads of actors' databases (its SQL console, its schema and
 * rows views) run on a worker thread, one at a time, so the event loop serves
 * every other caller meanwhile. On the loop, a console statement held the
 * server for as long as it ran (up to its 2 s limit), and one row's work
 * between two checks of the limit ran for whatever it cost (seconds, for a
 * few LIKEs over megabyte values). Here a read that has not answered
 * `graceMs` after its own time limit has its worker terminated (V8 stops
 * WebAssembly too) and fails `timeout`; the next read starts a new worker. A
 * worker idle for `idleMs` is stopped, giving back the memory its copies took.
 *
 * Where worker threads cannot be started (no `tsx` beside the TypeScript
 * sources), reads run on the loop, bounded by the console's guards
 * (console-guards.ts), as before.
 */
export class InspectThread {
	#worker: Worker | undefined;
	/** Whether the worker has loaded SQLite: a read's time starts when it is sent to a ready worker. */
	#ready = false;
	#booting: ReturnType<typeof setTimeout> | undefined;
	#unavailable = false;
	readonly #queue: Job[] = [];
	#running: { job: Job; sent: number; deadline: ReturnType<typeof setTimeout> } | undefined;
	#idle: ReturnType<typeof setTimeout> | undefined;
	#ids = 0;

	constructor(
		readonly graceMs = 1_000,
		readonly idleMs = 30_000,
		readonly spawn: () => Worker | undefined = spawnInspectWorker,
		readonly bootMs = 20_000,
	) {}

	/**
	 * Answers `request` on a copy of the database stored as `entries`; `onRan`
	 * is told the time it ran (ms; not its wait for a worker or for its turn),
	 * answered or refused.
	 */
	run(
		request: InspectRequest,
		entries: readonly Entry[],
		onRan: OnRan = () => {},
	): Promise<unknown> {
		if (this.#unavailable) return ranHere(request, entries, onRan);
		if (this.#queue.length >= MAX_WAITING) return Promise.reject(busy());
		return new Promise((resolve, reject) => {
			const packed = packEntries(entries);
			this.#queue.push({ id: ++this.#ids, request, packed, onRan, resolve, reject });
			this.#next();
		});
	}

	/** Stops the worker (the reads waiting fail); the next read starts another. */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		clearTimeout(this.#idle);
		clearTimeout(this.#booting);
		if (this.#running !== undefined) clearTimeout(this.#running.deadline);
		const stopped = new Error("the inspector's database reads stopped");
		for (const job of [...(this.#running ? [this.#running.job] : []), ...this.#queue.splice(0)])
			job.reject(stopped);
		this.#running = undefined;
		await worker?.terminate();
	}

	#next(): void {
		if (this.#running !== undefined || this.#queue.length === 0) return;
		const worker = this.#worker ?? this.#start();
		if (worker === undefined) {
			this.#unavailable = true;
			for (const waiting of this.#queue.splice(0)) {
				waiting.resolve(ranHere(waiting.request, unpackEntries(waiting.packed), waiting.onRan));
			}
			return;
		}
		clearTimeout(this.#idle);
		worker.ref();
		if (!this.#ready) return;
		const job = this.#queue.shift() as Job;
		const deadline = setTimeout(() => this.#timedOut(), job.request.timeoutMs + this.graceMs);
		this.#running = { job, sent: performance.now(), deadline };
		worker.postMessage({ id: job.id, request: job.request, packed: job.packed }, [
			job.packed.bytes,
			job.packed.ends.buffer,
		]);
	}

	#start(): Worker | undefined {
		let worker: Worker | undefined;
		try {
			worker = this.spawn();
		} catch {
			return undefined;
		}
		if (worker === undefined) return undefined;
		const started = worker;
		started.on("message", (message: Answer) => this.#answered(started, message));
		started.on("error", (error) => this.#lost(started, error));
		started.on("exit", (code) =>
			this.#lost(started, new Error(`the inspector's database worker stopped (exit code ${code})`)),
		);
		this.#worker = started;
		this.#ready = false;
		this.#booting = setTimeout(() => {
			if (this.#worker !== started || this.#ready) return;
			this.#lost(
				started,
				new Error(`the inspector's database worker did not start within ${this.bootMs} ms`),
			);
			void started.terminate();
		}, this.bootMs);
		return started;
	}

	#answered(worker: Worker, message: Answer): void {
		if (worker !== this.#worker) return;
		if (message.ready === true) {
			clearTimeout(this.#booting);
			this.#ready = true;
			this.#next();
			return;
		}
		const running = this.#running;
		if (running === undefined || message.id !== running.job.id) return;
		clearTimeout(running.deadline);
		this.#running = undefined;
		running.job.onRan(performance.now() - running.sent);
		if (message.failure !== undefined) running.job.reject(errorOf(message.failure));
		else running.job.resolve(message.value);
		this.#afterJob(worker);
	}

	#timedOut(): void {
		const running = this.#running;
		const worker = this.#worker;
		if (running === undefined) return;
		this.#running = undefined;
		this.#worker = undefined;
		void worker?.terminate();
		running.job.onRan(performance.now() - running.sent);
		const ms = Math.round(running.job.request.timeoutMs);
		running.job.reject(new ReadOnlyQueryError("timeout", `the query ran past ${ms} ms`));
		this.#next();
	}

	#lost(worker: Worker, error: Error): void {
		if (worker !== this.#worker) return;
		this.#worker = undefined;
		clearTimeout(this.#booting);
		const running = this.#running;
		this.#running = undefined;
		if (running !== undefined) {
			clearTimeout(running.deadline);
			running.job.onRan(performance.now() - running.sent);
			running.job.reject(
				(error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY"
					? new ReadOnlyQueryError(
							"sql_error",
							`the query needed more memory than the console's ${WORKER_HEAP_MB} MiB`,
						)
					: error,
			);
		} else if (!this.#ready) {
			// It never started: the reads waiting for it fail, rather than start one worker after another.
			for (const job of this.#queue.splice(0)) job.reject(error);
		}
		this.#next();
	}

	#afterJob(worker: Worker): void {
		if (this.#queue.length > 0) {
			this.#next();
			return;
		}
		worker.unref();
		this.#idle = setTimeout(() => {
			if (this.#worker !== worker || this.#running !== undefined) return;
			this.#worker = undefined;
			void worker.terminate();
		}, this.idleMs);
		this.#idle.unref?.();
	}
}

/** Told the time a read ran (ms). */
export type OnRan = (ms: number) => void;

async function ranHere(
	request: InspectRequest,
	entries: readonly Entry[],
	onRan: OnRan,
): Promise<unknown> {
	const started = performance.now();
	try {
		return await answer(request, entries);
	} finally {
		onRan(performance.now() - started);
	}
}

interface Job {
	id: number;
	request: InspectRequest;
	packed: PackedEntries;
	onRan: OnRan;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
}

interface Answer {
	ready?: true;
	id?: number;
	value?: unknown;
	failure?: FailedAnswer;
}

/**
 * Reads that may wait for their turn: each holds a copy of its actor's
 * database meanwhile (the time budget of the server's console admits up to
 * about 20 at once, for 20 copies).
 */
export const MAX_WAITING = 4;

function busy(): ActorError {
	return new ActorError(
		"limit",
		"sql_console_busy",
		`${MAX_WAITING} database reads of the inspector wait for their turn already; retry after a second`,
		{ retryAfterMs: 1_000 },
	);
}

/** The worker's heap: a result holds at most 16 MiB of values; the copy's pages are outside the heap. */
const WORKER_HEAP_MB = 512;

/**
 * Starts the worker: its built JavaScript beside this file, or, running from
 * the TypeScript sources (tests, `npm start`, the bench), a worker that
 * registers tsx's loader first (a worker does not inherit it from a process
 * run by tsx); undefined when tsx cannot be found there.
 */
export function spawnInspectWorker(): Worker | undefined {
	const options = { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
	const here = import.meta.url;
	if (!here.endsWith(".ts")) return new Worker(new URL("./inspect-worker.js", here), options);
	const entry = new URL("./inspect-worker.ts", here);
	let tsx: string;
	try {
		// The ESM API (a `require` resolves its CommonJS one, whose `register` fails in a worker of a tsx process).
		tsx = pathToFileURL(createRequire(here).resolve("tsx/esm/api")).href.replace(/\.cjs$/, ".mjs");
	} catch {
		return undefined;
	}
	const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
	return new Worker(boot, { ...options, eval: true });
}
