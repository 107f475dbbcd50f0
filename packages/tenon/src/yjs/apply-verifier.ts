import type { Worker } from "node:worker_threads";
import { ActorError } from "../protocol/errors.js";

/**
 * Node's modules, got when used (`process.getBuiltinModule`, Node 20.16 on):
 * `tenon/yjs` also holds the browser's provider, and a static import would
 * make bundlers for the browser warn about it, or fail.
 */
function nodeBuiltin<T>(id: string): T | undefined {
	const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
		.process;
	return process?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * Applies an update to a copy of a document on a worker thread, timed, before
 * the actor applies it on the event loop: what Yjs does with an update cannot
 * be estimated in advance for every shape. An attacker probe (2026-11-25)
 * found six that the estimates of update-cost.ts and apply-budget.ts let
 * through, each blocking the loop for 0.3 to 10 s: map values with no origin
 * (every one walks the key's whole history), inserts whose order a
 * dependency forces, thousands of deletions splitting one item, deletions in
 * formatted text (each walks all the others), and two that slowed the
 * estimate itself. A copy that takes longer than the limit is abandoned (the
 * worker is terminated mid-apply, and a new one starts for the next update)
 * and the update refused; one that throws is refused as malformed, so the
 * document never keeps half of it.
 *
 * One worker per process, one update at a time (a document under attack
 * waits behind its own updates; the time spent is charged to its budget).
 * Yjs is loaded in the worker from where this module finds it. No library
 * does this; the copy costs an encoding of the document on the loop and a
 * decoding on the worker, so only updates worth it come here (64 items or
 * more, or inserts that scan the document: document.ts).
 */

/** What a verification found. */
export interface Verified {
	/** The update's apply to the copy, ms. */
	applyMs: number;
	/** The whole job on the worker (the copy made, then the update), ms. */
	totalMs: number;
}

/** The worker: a copy of the document, then the update, timed; tells the parent when the update starts. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Y = require(workerData.yjs);
parentPort.on("message", ({ id, state, update }) => {
	const started = performance.now();
	try {
		const doc = new Y.Doc({ gc: true });
		if (state.byteLength > 0) Y.applyUpdate(doc, state);
		parentPort.postMessage({ id, phase: "applying" });
		const applying = performance.now();
		Y.applyUpdate(doc, update);
		const done = performance.now();
		doc.destroy();
		parentPort.postMessage({ id, phase: "done", applyMs: done - applying, totalMs: done - started });
	} catch (error) {
		parentPort.postMessage({ id, phase: "failed", message: String(error && error.message || error) });
	}
});
`;

/** Longest a copy of a document may take to make (a document is at most 64 MiB by default), ms. */
const PREPARE_LIMIT_MS = 60_000;

interface Job {
	id: number;
	state: Uint8Array;
	update: Uint8Array;
	limitMs: number;
	resolve(verified: Verified): void;
	reject(error: unknown): void;
}

type WorkerReply =
	| { id: number; phase: "applying" }
	| { id: number; phase: "done"; applyMs: number; totalMs: number }
	| { id: number; phase: "failed"; message: string };

export class ApplyVerifier {
	readonly #yjsPath: string | undefined;
	#worker: Worker | undefined;
	readonly #queue: Job[] = [];
	#current: Job | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#nextId = 1;

	constructor(yjsPath = resolveYjs()) {
		this.#yjsPath = yjsPath;
	}

	/** False where Yjs cannot be loaded in a worker (bundled into the app): updates are not verified. */
	get available(): boolean {
		return this.#yjsPath !== undefined;
	}

	/**
	 * Applies `update` to a copy of the document encoded as `state`; resolves
	 * with the time it took, or rejects with `limit/yjs_update_too_complex`
	 * when it takes over `limitMs`, or `request/invalid_yjs_message` when Yjs
	 * throws.
	 */
	verify(state: Uint8Array, update: Uint8Array, limitMs: number): Promise<Verified> {
		return new Promise((resolve, reject) => {
			this.#queue.push({ id: this.#nextId++, state, update, limitMs, resolve, reject });
			if (this.#current === undefined) this.#next();
		});
	}

	/** Stops the worker (tests; a process exits with it anyway: it is unreferenced). */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		await worker?.terminate();
	}

	#next(): void {
		const job = this.#queue.shift();
		this.#current = job;
		if (job === undefined) {
			this.#worker?.unref();
			return;
		}
		const worker = this.#ensureWorker();
		worker.ref();
		this.#arm(job, PREPARE_LIMIT_MS);
		// The state is an encoding made for this job: moved, not copied.
		const { state } = job;
		const whole = state.byteOffset === 0 && state.byteLength === state.buffer.byteLength;
		worker.postMessage(
			{ id: job.id, state, update: job.update },
			whole ? [state.buffer as ArrayBuffer] : [],
		);
	}

	#ensureWorker(): Worker {
		if (this.#worker !== undefined) return this.#worker;
		const threads = nodeBuiltin<typeof import("node:worker_threads")>("node:worker_threads");
		if (threads === undefined) throw new Error("worker threads are not available here");
		const worker = new threads.Worker(WORKER_SOURCE, {
			eval: true,
			workerData: { yjs: this.#yjsPath },
			// A copy of a large document needs room of its own, not the app's.
			resourceLimits: { maxOldGenerationSizeMb: 1024 },
		});
		worker.on("message", (reply: WorkerReply) => this.#heard(worker, reply));
		worker.on("error", (error) => this.#lost(worker, error));
		worker.on("exit", () => this.#lost(worker, new Error("the Yjs verifier stopped")));
		this.#worker = worker;
		return worker;
	}

	#arm(job: Job, ms: number): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.#timedOut(job), ms);
	}

	#heard(worker: Worker, reply: WorkerReply): void {
		const job = this.#current;
		if (worker !== this.#worker || job === undefined || reply.id !== job.id) return;
		if (reply.phase === "applying") {
			// The copy is made: from here the update's own time counts.
			this.#arm(job, job.limitMs);
			return;
		}
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		if (reply.phase === "done") job.resolve({ applyMs: reply.applyMs, totalMs: reply.totalMs });
		else
			job.reject(
				new ActorError(
					"request",
					"invalid_yjs_message",
					"Invalid Yjs message: an update that does not apply",
				),
			);
		this.#next();
	}

	#timedOut(job: Job): void {
		if (this.#current !== job) return;
		this.#timer = undefined;
		// Terminated mid-apply: the next update gets a new worker.
		const worker = this.#worker;
		this.#worker = undefined;
		void worker?.terminate();
		job.reject(
			new ActorError(
				"limit",
				"yjs_update_too_complex",
				`This update took over ${job.limitMs} ms to apply to a copy of this document (at most ${job.limitMs}); send smaller updates`,
				{ limitMs: job.limitMs },
			),
		);
		this.#next();
	}

	#lost(worker: Worker, error: unknown): void {
		if (worker !== this.#worker) return;
		this.#worker = undefined;
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		const job = this.#current;
		// A worker out of memory on a copy: that update is refused like a slow one.
		job?.reject(
			new ActorError(
				"limit",
				"yjs_update_too_complex",
				`This update could not be applied to a copy of this document (${String((error as Error)?.message ?? error)})`,
				{ limitMs: job.limitMs },
			),
		);
		if (job !== undefined) this.#next();
	}
}

/** Where Yjs's CommonJS build is, seen from here; undefined when it cannot be found. */
function resolveYjs(): string | undefined {
	const modules = nodeBuiltin<typeof import("node:module")>("node:module");
	if (modules === undefined || nodeBuiltin("node:worker_threads") === undefined) return undefined;
	try {
		return modules.createRequire(import.meta.url).resolve("yjs");
	} catch {
		return undefined;
	}
}

/** The process's verifier (made on first use). */
let shared: ApplyVerifier | undefined;
export function sharedApplyVerifier(): ApplyVerifier {
	shared ??= new ApplyVerifier();
	return shared;
}
