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
 * The reads of every server in the process take turns on one worker.
 *
 * A read copies its database when its turn comes, not before: reads waiting
 * hold no copy. The copy is made on the loop (the store's read, then one
 * buffer to transfer, a slice at a time), so the caller charges a read's
 * whole time less its wait ({@link InspectThread.run}'s `onTurn`) to its budget.
 *
 * Where no worker can be started (no `tsx` beside the TypeScript sources,
 * a bundle without `inspect-worker.js`), reads run on the loop, bounded by
 * the console's guards (console-guards.ts): a read whose worker failed to
 * start runs there, and after {@link MAX_FAILED_STARTS} such starts in a row
 * every read does.
 */
export class InspectThread {
	#worker: Worker | undefined;
	/** Whether the worker has loaded SQLite. */
	#ready = false;
	#booting: ReturnType<typeof setTimeout> | undefined;
	#failedStarts = 0;
	#unavailable = false;
	readonly #queue: Job[] = [];
	#running: { job: Job; deadline?: ReturnType<typeof setTimeout> } | undefined;
	#idle: ReturnType<typeof setTimeout> | undefined;
	#ids = 0;

	constructor(
		readonly graceMs = 1_000,
		readonly idleMs = 30_000,
		readonly spawn: () => Worker | undefined = spawnInspectWorker,
		readonly bootMs = 20_000,
	) {}

	/**
	 * Answers `request` on a copy of the database `load` reads when the
	 * read's turn comes (undefined when it has no entries); `onTurn` is told
	 * how long the read waited for its turn (ms).
	 */
	run(
		request: InspectRequest,
		load: () => Promise<readonly Entry[]>,
		onTurn: (waitedMs: number) => void = () => {},
	): Promise<unknown> {
		const read = { id: ++this.#ids, request, load, onTurn, queuedAt: performance.now() };
		if (this.#unavailable) return ranHere(read);
		if (this.#queue.length >= MAX_WAITING) return Promise.reject(busy());
		return new Promise((resolve, reject) => {
			this.#queue.push({ ...read, resolve, reject });
			this.#next();
		});
	}

	/** Stops the worker (the reads waiting fail); the next read starts another. */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		clearTimeout(this.#idle);
		clearTimeout(this.#booting);
		clearTimeout(this.#running?.deadline);
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
			this.#runWaitingHere();
			return;
		}
		clearTimeout(this.#idle);
		worker.ref();
		if (!this.#ready) return;
		const job = this.#queue.shift() as Job;
		this.#running = { job };
		void this.#send(worker, job);
	}

	async #send(worker: Worker, job: Job): Promise<void> {
		job.onTurn(performance.now() - job.queuedAt);
		let packed: PackedEntries | undefined;
		try {
			const entries = await job.load();
			if (entries.length > 0) packed = await packEntries(entries);
		} catch (error) {
			if (this.#running?.job !== job) return;
			this.#running = undefined;
			job.reject(error);
			this.#afterJob(worker);
			return;
		}
		if (this.#running?.job !== job) return; // closed meanwhile
		if (packed === undefined) {
			this.#running = undefined;
			job.resolve(undefined);
			this.#afterJob(worker);
			return;
		}
		if (worker !== this.#worker) {
			// Lost while the copy was made: the read goes first on the next worker.
			this.#running = undefined;
			this.#queue.unshift(job);
			this.#next();
			return;
		}
		// Until the worker has opened its copy, then the read's own limit.
		this.#arm(job, COPY_MS + this.graceMs);
		worker.postMessage({ id: job.id, request: job.request, packed }, [
			packed.bytes,
			packed.ends.buffer,
		]);
	}

	#arm(job: Job, ms: number): void {
		const running = this.#running;
		if (running?.job !== job) return;
		clearTimeout(running.deadline);
		running.deadline = setTimeout(() => {
			// After the loop's poll phase: an answer that came while the loop was held is taken
			// first, rather than a read done in time failed and its worker killed (a review).
			setImmediate(() => this.#timedOut(job));
		}, ms);
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
			this.#lost(started, new Error(`the worker did not start within ${this.bootMs} ms`));
			void started.terminate();
		}, this.bootMs);
		return started;
	}

	#answered(worker: Worker, message: Answer): void {
		if (worker !== this.#worker) return;
		if (message.ready === true) {
			clearTimeout(this.#booting);
			this.#ready = true;
			this.#failedStarts = 0;
			this.#next();
			return;
		}
		const running = this.#running;
		if (running === undefined) return;
		if (message.started === running.job.id) {
			this.#arm(running.job, running.job.request.timeoutMs + this.graceMs);
			return;
		}
		if (message.id !== running.job.id) return;
		clearTimeout(running.deadline);
		this.#running = undefined;
		if (message.failure !== undefined) running.job.reject(errorOf(message.failure));
		else running.job.resolve(message.value);
		if (message.retire === true) {
			// Its WebAssembly memory grew past what an idle worker may keep (it never shrinks):
			// a query near the 2 GB limit, then a `SELECT 1` every 29 s, held it (a probe).
			this.#worker = undefined;
			void worker.terminate();
			this.#next();
			return;
		}
		this.#afterJob(worker);
	}

	#timedOut(job: Job): void {
		const worker = this.#worker;
		if (this.#running?.job !== job) return;
		this.#running = undefined;
		this.#worker = undefined;
		void worker?.terminate();
		const ms = Math.round(job.request.timeoutMs);
		job.reject(new ReadOnlyQueryError("timeout", `the query ran past ${ms} ms`));
		this.#next();
	}

	#lost(worker: Worker, error: Error): void {
		if (worker !== this.#worker) return;
		this.#worker = undefined;
		clearTimeout(this.#booting);
		if (!this.#ready) {
			// It never started: the reads waiting run on the loop, and after a few such starts in
			// a row, every read does (each failed 500, one worker after another: a review).
			if (++this.#failedStarts >= MAX_FAILED_STARTS) this.#unavailable = true;
			this.#runWaitingHere();
			return;
		}
		const running = this.#running;
		this.#running = undefined;
		if (running !== undefined) {
			clearTimeout(running.deadline);
			const outOfMemory = (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
			running.job.reject(
				new ReadOnlyQueryError(
					"sql_error",
					outOfMemory
						? `the query needed more memory than the console's ${WORKER_HEAP_MB} MiB`
						: "the query's worker stopped",
				),
			);
		}
		this.#next();
	}

	#runWaitingHere(): void {
		for (const job of this.#queue.splice(0)) job.resolve(ranHere(job));
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

interface Read {
	id: number;
	request: InspectRequest;
	load: () => Promise<readonly Entry[]>;
	onTurn: (waitedMs: number) => void;
	queuedAt: number;
}

interface Job extends Read {
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
}

interface Answer {
	ready?: true;
	started?: number;
	id?: number;
	value?: unknown;
	failure?: FailedAnswer;
	/** The worker's memory grew past WORKER_KEPT_MEMORY_BYTES (inspect-request.ts): end it. */
	retire?: true;
}

async function ranHere(read: Read): Promise<unknown> {
	read.onTurn(performance.now() - read.queuedAt);
	const entries = await read.load();
	return entries.length === 0 ? undefined : answer(read.request, entries);
}

/** Failed starts of a worker in a row after which reads run on the loop for good. */
export const MAX_FAILED_STARTS = 3;

/** How long a worker may take to open its copy of a database (100 MiB: about 0.3 s). */
const COPY_MS = 10_000;

/**
 * Reads that may wait for their turn, in the whole process (they hold no copy
 * of their database while they wait; a server's time budget admits about 20).
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
