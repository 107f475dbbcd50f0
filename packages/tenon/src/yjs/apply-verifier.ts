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
parentPort.postMessage({ id: 0, phase: "ready" });
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

/** Longest a copy of a document may take to make, ms: well within an action's timeout. */
const PREPARE_LIMIT_MS = 20_000;

/** Updates waiting for the worker at most; past it, `limit/yjs_busy`. */
const MAX_WAITING = 8;

/**
 * Workers in a row that could not be made or did not start (Yjs not loadable
 * there) before the verifier stops trying. A worker lost later (out of
 * memory on a copy) does not count: an attacker could otherwise turn the
 * checks off.
 */
const MAX_FAILURES = 3;

interface Job {
	id: number;
	/** The document's encoding, made when the worker takes the job. */
	state: () => Uint8Array;
	update: Uint8Array;
	limitMs: number;
	resolve(verified: Verified): void;
	reject(error: unknown): void;
}

type WorkerReply =
	| { id: 0; phase: "ready" }
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
	/** Workers in a row that did not start; at {@link MAX_FAILURES}, the verifier is off. */
	#failures = 0;
	/** The current worker loaded Yjs. */
	#ready = false;

	constructor(yjsPath = resolveYjs()) {
		this.#yjsPath = yjsPath;
	}

	/**
	 * False where Yjs cannot be loaded in a worker (bundled into the app, no
	 * worker threads allowed), or workers kept failing: updates are not tried first.
	 */
	get available(): boolean {
		return this.#yjsPath !== undefined && this.#failures < MAX_FAILURES;
	}

	/**
	 * Applies `update` to a copy of the document encoded as `state`; resolves
	 * with the time it took, or rejects with `limit/yjs_update_too_complex`
	 * when it takes over `limitMs`, or `request/invalid_yjs_message` when Yjs
	 * throws.
	 */
	verify(state: () => Uint8Array, update: Uint8Array, limitMs: number): Promise<Verified> {
		if (this.#queue.length >= MAX_WAITING)
			return Promise.reject(
				new ActorError(
					"limit",
					"yjs_busy",
					"Too many document updates wait to be checked; try again in a second",
					{ retryAfterMs: 1_000 },
				),
			);
		return new Promise((resolve, reject) => {
			this.#queue.push({ id: this.#nextId++, state, update, limitMs, resolve, reject });
			if (this.#current === undefined) this.#next();
		});
	}

	/** Stops the worker; a job on it is refused (tests; a process exits with it anyway: it is unreferenced). */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		this.#fail(new Error("the verifier was closed"));
		await worker?.terminate();
	}

	#next(): void {
		for (;;) {
			const job = this.#queue.shift();
			this.#current = job;
			if (job === undefined) {
				this.#worker?.unref();
				return;
			}
			let state: Uint8Array;
			try {
				state = job.state();
			} catch (error) {
				this.#current = undefined;
				job.reject(unchecked(error));
				continue;
			}
			try {
				const worker = this.#ensureWorker();
				worker.ref();
				this.#arm(job, PREPARE_LIMIT_MS);
				// The state is an encoding made for this job: moved, not copied; the
				// update is copied alone (a view would carry its whole buffer).
				const whole = state.byteOffset === 0 && state.byteLength === state.buffer.byteLength;
				worker.postMessage(
					{ id: job.id, state, update: job.update.slice() },
					whole ? [state.buffer as ArrayBuffer] : [],
				);
				return;
			} catch (error) {
				// No worker here (permissions), or the encoding failed: refused, and the queue goes on.
				this.#current = undefined;
				if (this.#timer !== undefined) clearTimeout(this.#timer);
				this.#timer = undefined;
				this.#failures++;
				job.reject(unchecked(error));
			}
		}
	}

	/** Refuses the job on the worker (if any) and takes the next. */
	#fail(error: unknown): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		const job = this.#current;
		this.#current = undefined;
		if (job === undefined) return;
		job.reject(unchecked(error));
		this.#next();
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
		this.#ready = false;
		return worker;
	}

	#arm(job: Job, ms: number): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.#timedOut(job), ms);
	}

	#heard(worker: Worker, reply: WorkerReply): void {
		if (reply.phase === "ready") {
			if (worker === this.#worker) {
				this.#ready = true;
				this.#failures = 0;
			}
			return;
		}
		const job = this.#current;
		if (worker !== this.#worker || job === undefined || reply.id !== job.id) return;
		if (reply.phase === "applying") {
			// The copy is made: from here the update's own time counts.
			this.#arm(job, job.limitMs);
			return;
		}
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#current = undefined;
		// The timer starts when this side hears "applying": a busy loop hears it late.
		if (reply.phase === "done" && reply.applyMs > job.limitMs) job.reject(tooSlow(job.limitMs));
		else if (reply.phase === "done")
			job.resolve({ applyMs: reply.applyMs, totalMs: reply.totalMs });
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
		this.#current = undefined;
		job.reject(tooSlow(job.limitMs));
		this.#next();
	}

	#lost(worker: Worker, error: unknown): void {
		if (worker !== this.#worker) return;
		this.#worker = undefined;
		// A worker that cannot start (Yjs not loadable there) fails every job: after a few, off.
		if (!this.#ready) this.#failures++;
		this.#fail(error);
	}
}

function tooSlow(limitMs: number): ActorError {
	return new ActorError(
		"limit",
		"yjs_update_too_complex",
		`This update took over ${limitMs} ms to apply to a copy of this document (at most ${limitMs}); send smaller updates`,
		{ limitMs },
	);
}

/** A worker lost or not made (out of memory on a copy, not allowed): that update is refused like a slow one. */
function unchecked(error: unknown): ActorError {
	if (error instanceof ActorError) return error;
	return new ActorError(
		"limit",
		"yjs_update_too_complex",
		`This update could not be checked on a copy of this document (${String((error as Error)?.message ?? error)})`,
	);
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
