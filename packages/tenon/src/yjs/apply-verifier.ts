import type { Worker } from "node:worker_threads";
import { ActorError } from "../protocol/errors.js";
import { APPLY_WORKER_SOURCE } from "./apply-worker.js";
import { charge, newOwner, type Owner, usageOf } from "./verifier-owners.js";
import { busy, nodeBuiltin, resolveYjs, spent, tooSlow, unchecked } from "./verifier-support.js";

export { workerTimeOf } from "./verifier-support.js";

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
 * The worker keeps a mirror of each document it checked (apply-worker.ts),
 * fed with the updates its actor applies after ({@link DocumentMirror}), so
 * a document's next check costs no copy. One worker per process, one update
 * at a time: a document waits behind its own updates, and the waiting
 * documents are served least recent worker time first, so one that keeps the
 * worker busy does not make the others wait behind it. A document the
 * worker has not checked before goes first, unless new documents used much
 * of it lately: then they count as one, by the time all of them used. An
 * attacker probe (2026-11-25) sent each slow update to a new document; each
 * ranked ahead of every document in use and the queue filled, so that an
 * honest document's updates were refused 33 times in 35 (`limit/yjs_busy`). Yjs is loaded in the
 * worker from where this module finds it. No library does this.
 */

/** What a verification found. */
export interface Verified {
	/** The update's apply to the copy, ms. */
	applyMs: number;
	/** The whole job on the worker (the copy made, if one was, then the update), ms. */
	totalMs: number;
	/** Parts of the update waited for changes the copy lacked (dropped there). */
	pending: boolean;
}

/**
 * One document's mirror on the verifier's worker (made by
 * {@link ApplyVerifier.mirror}); its checks cost a copy of the document only
 * when the worker has none (the first, or after the worker was replaced or
 * dropped it for room).
 */
export interface DocumentMirror {
	/** Like {@link ApplyVerifier.verify}; the update stays in the mirror when it is accepted. */
	verify(state: () => Uint8Array, update: Uint8Array, limitMs: number): Promise<Verified>;
	/**
	 * An update the document applied (any but one this mirror just verified),
	 * passed on to the mirror; `settle`: a client's, after which the document
	 * dropped the changes waiting for others.
	 */
	applied(update: Uint8Array, settle: boolean): void;
	/**
	 * Makes the mirror from the updates the document was loaded from, in order
	 * (its stored snapshot and log, as read), before any check asks for it: a
	 * large document's first check after a wake then costs no encoding on the
	 * loop. Call it before the document applies anything else.
	 */
	seed(updates: Uint8Array[]): void;
	/** The document went: its mirror goes (checks after this are one-off, as {@link ApplyVerifier.verify}'s). */
	close(): void;
}

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

/**
 * Worker time, ms (decaying as a document's does), that documents checked
 * for the first time may use together before they are ranked as one: an
 * attacker probe sent each slow update to a new document, and each went
 * ahead of the documents in use.
 */
const NEWCOMER_FLOOD_MS = 500;

/** Seeds waiting on the worker at most (see {@link DocumentMirror.seed}). */
const MAX_SEEDING = 2;

/** The worker's memory: mirrors and the copy being made, in bytes of encoded state (see apply-worker.ts). */
export interface VerifierMemory {
	/** Mirrors kept plus the copy being made, at most (default 32 MiB; a copy takes 8 to 20 times its encoding in memory). */
	budgetBytes?: number;
	/** A document larger than this is copied for one check, not kept (default 16 MiB). */
	keepBytes?: number;
	/** The worker's heap, MiB (default 1,536). */
	heapMb?: number;
}

interface Job {
	id: number;
	owner: Owner;
	/** The document's encoding, made when the worker takes the job and has no mirror. */
	state: () => Uint8Array;
	update: Uint8Array;
	limitMs: number;
	/** When it was queued, and when the worker got it (performance.now()). */
	queuedAt: number;
	startedAt?: number;
	resolve(verified: Verified): void;
	reject(error: unknown): void;
}

type WorkerReply =
	| { id: 0; phase: "ready" }
	| { id: 0; phase: "evicted"; evicted: number[] }
	| { id: 0; phase: "seeded"; evicted: number[] }
	| { id: number; phase: "applying" }
	| { id: number; phase: "missing"; evicted: number[] }
	| {
			id: number;
			phase: "done";
			applyMs: number;
			totalMs: number;
			pending: boolean;
			evicted: number[];
	  }
	| { id: number; phase: "failed"; message: string; totalMs: number; evicted: number[] };

export class ApplyVerifier {
	readonly #yjsPath: string | undefined;
	readonly #memory: Required<VerifierMemory>;
	#worker: Worker | undefined;
	/** Counts the workers made: a mirror lives on the worker of its generation. */
	#generation = 0;
	readonly #queue: Job[] = [];
	#current: Job | undefined;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#nextId = 1;
	#nextDoc = 1;
	/** The worker time of documents it had not checked before, together (see {@link Owner.known}). */
	readonly #newcomers: Owner = newOwner(undefined);
	/** Documents with a mirror handle open, by mirror id. */
	readonly #mirrors = new Map<number, Owner>();
	/**
	 * Mirrors whose handle is gone without `close` (an actor reset after a
	 * failed commit is dropped without sleeping): forgotten here and on the worker.
	 */
	readonly #unused = new FinalizationRegistry<Owner>((owner) => {
		if (owner.doc === undefined) return;
		this.#forget(owner);
		this.#mirrors.delete(owner.doc);
	});
	/** Seeds sent to the worker and not yet made there. */
	#seeding = 0;
	/** Workers in a row that did not start; at {@link MAX_FAILURES}, the verifier is off. */
	#failures = 0;
	/** The current worker loaded Yjs. */
	#ready = false;

	constructor(yjsPath = resolveYjs(), memory: VerifierMemory = {}) {
		this.#yjsPath = yjsPath;
		this.#memory = {
			budgetBytes: memory.budgetBytes ?? 32 * 1024 * 1024,
			keepBytes: memory.keepBytes ?? 16 * 1024 * 1024,
			heapMb: memory.heapMb ?? 1_536,
		};
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
	 * throws. A one-off check: nothing is kept on the worker.
	 */
	verify(state: () => Uint8Array, update: Uint8Array, limitMs: number): Promise<Verified> {
		return this.#enqueue(newOwner(undefined), state, update, limitMs);
	}

	/** A mirror for one document on the worker: its checks after the first need no copy. */
	mirror(): DocumentMirror {
		const owner = newOwner(this.#nextDoc++);
		const doc = owner.doc as number;
		this.#mirrors.set(doc, owner);
		const handle: DocumentMirror = {
			verify: (state, update, limitMs) => this.#enqueue(owner, state, update, limitMs),
			applied: (update, settle) => {
				if (this.#holds(owner)) this.#worker?.postMessage({ kind: "apply", doc, update, settle });
			},
			seed: (updates) => {
				let bytes = 0;
				for (const update of updates) bytes += update.byteLength;
				// Seeds go to the worker ahead of the checks after them: a few at a time,
				// or a burst of large documents waking would hold every check back.
				if (!this.available || bytes > this.#memory.keepBytes || this.#seeding >= MAX_SEEDING)
					return;
				try {
					const worker = this.#ensureWorker();
					owner.generation = this.#generation;
					// Copied, not moved: the document's binary contents are views of these bytes.
					worker.postMessage({ kind: "seed", doc, updates });
					this.#seeding++;
					// Idle until a check: the seeding alone keeps no process alive.
					if (this.#current === undefined) worker.unref();
				} catch {
					// No worker here: the first check makes a copy, as without a seed.
					owner.generation = -1;
				}
			},
			close: () => {
				this.#unused.unregister(handle);
				this.#forget(owner);
				this.#mirrors.delete(doc);
				// Checks after this keep nothing.
				owner.doc = undefined;
			},
		};
		this.#unused.register(handle, owner, handle);
		return handle;
	}

	/** Stops the worker; a job on it is refused (tests; a process exits with it anyway: it is unreferenced). */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		this.#fail(new Error("the verifier was closed"));
		await worker?.terminate();
	}

	#enqueue(
		owner: Owner,
		state: () => Uint8Array,
		update: Uint8Array,
		limitMs: number,
	): Promise<Verified> {
		const queuedAt = performance.now();
		if (this.#queue.length >= MAX_WAITING) {
			// Full: the job last in line waits no longer, unless this one would be last.
			let last = 0;
			for (let i = 1; i < this.#queue.length; i++)
				if (this.#rank(this.#queue[i]!, queuedAt) > this.#rank(this.#queue[last]!, queuedAt))
					last = i;
			const [evicted] = this.#queue.splice(last, 1) as [Job];
			if (this.#rank(evicted, queuedAt) <= this.#usage(owner, queuedAt)) {
				this.#queue.splice(last, 0, evicted);
				return Promise.reject(busy());
			}
			evicted.reject(busy());
		}
		return new Promise((resolve, reject) => {
			const id = this.#nextId++;
			this.#queue.push({ id, owner, state, update, limitMs, queuedAt, resolve, reject });
			if (this.#current === undefined) this.#next();
		});
	}

	/** The worker holds this document's mirror. */
	#holds(owner: Owner): boolean {
		return this.#worker !== undefined && owner.generation === this.#generation;
	}

	/** The document's mirror is no copy any more (refused update taken, or the document gone): dropped. */
	#forget(owner: Owner): void {
		if (this.#holds(owner)) this.#worker?.postMessage({ kind: "drop", doc: owner.doc });
		owner.generation = -1;
	}

	/** The waiting job first in line (see {@link rank}; the first of equals). */
	#take(): Job | undefined {
		if (this.#queue.length <= 1) return this.#queue.shift();
		const now = performance.now();
		let best = 0;
		for (let i = 1; i < this.#queue.length; i++)
			if (this.#rank(this.#queue[i]!, now) < this.#rank(this.#queue[best]!, now)) best = i;
		return this.#queue.splice(best, 1)[0];
	}

	#next(): void {
		for (;;) {
			const job = this.#take();
			if (job === undefined) {
				this.#current = undefined;
				this.#worker?.unref();
				return;
			}
			if (this.#start(job)) return;
		}
	}

	/** Sends `job` to the worker (with a copy of its document when the worker has no mirror); false if it was refused instead. */
	#start(job: Job): boolean {
		this.#current = job;
		const { owner } = job;
		let worker: Worker;
		let state: Uint8Array | undefined;
		try {
			worker = this.#ensureWorker();
			if (!this.#holds(owner)) {
				state = job.state();
				// Updates applied from here on are passed to the mirror this copy makes.
				// (Unless the worker will not keep it: then it has no mirror.)
				if (owner.doc !== undefined && state.byteLength <= this.#memory.keepBytes)
					owner.generation = this.#generation;
			}
		} catch (error) {
			// No worker here (permissions; counted), or the encoding failed: refused, and the queue goes on.
			if (this.#worker === undefined) this.#failures++;
			this.#current = undefined;
			owner.generation = -1;
			job.reject(unchecked(error));
			return false;
		}
		worker.ref();
		job.startedAt = performance.now();
		this.#arm(job, PREPARE_LIMIT_MS);
		// The state is an encoding made for this job: moved, not copied; the
		// update is copied alone (a view would carry its whole buffer).
		const whole =
			state !== undefined && state.byteOffset === 0 && state.byteLength === state.buffer.byteLength;
		worker.postMessage(
			{ kind: "check", id: job.id, doc: owner.doc, state, update: job.update.slice() },
			whole ? [(state as Uint8Array).buffer as ArrayBuffer] : [],
		);
		return true;
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
		const { budgetBytes, keepBytes, heapMb } = this.#memory;
		const worker = new threads.Worker(APPLY_WORKER_SOURCE, {
			eval: true,
			workerData: { yjs: this.#yjsPath, budgetBytes, keepBytes },
			// Copies of large documents need room of their own, not the app's.
			resourceLimits: { maxOldGenerationSizeMb: heapMb },
		});
		worker.on("message", (reply: WorkerReply) => this.#heard(worker, reply));
		worker.on("error", (error) => this.#lost(worker, error));
		worker.on("exit", () => this.#lost(worker, new Error("the Yjs verifier stopped")));
		this.#worker = worker;
		this.#generation++;
		this.#ready = false;
		// Seeds sent to a worker before this one went with it.
		this.#seeding = 0;
		return worker;
	}

	#arm(job: Job, ms: number): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.#timedOut(job), ms);
	}

	#heard(worker: Worker, reply: WorkerReply): void {
		if (worker !== this.#worker) return;
		if (reply.phase === "ready") {
			this.#ready = true;
			this.#failures = 0;
			return;
		}
		if (reply.phase !== "applying")
			for (const doc of reply.evicted) {
				const owner = this.#mirrors.get(doc);
				if (owner !== undefined) owner.generation = -1;
			}
		if (reply.phase === "seeded") this.#seeding--;
		const job = this.#current;
		if (reply.phase === "evicted" || reply.phase === "seeded") return;
		if (job === undefined || reply.id !== job.id) return;
		if (reply.phase === "applying") {
			// The copy is made: from here the update's own time counts.
			this.#arm(job, job.limitMs);
			return;
		}
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#current = undefined;
		if (reply.phase === "missing") {
			// Dropped for room meanwhile: the job goes again at once, with a copy.
			job.owner.generation = -1;
			if (this.#start(job)) return;
		} else if (reply.phase === "done") {
			this.#charge(job.owner, reply.totalMs);
			// The timer starts when this side hears "applying": a busy loop hears it late.
			if (reply.applyMs <= job.limitMs)
				job.resolve({ applyMs: reply.applyMs, totalMs: reply.totalMs, pending: reply.pending });
			else {
				this.#forget(job.owner);
				job.reject(tooSlow(job.limitMs));
			}
		} else {
			// A failed check used the worker too: charged, or failing updates would cost nothing.
			this.#charge(job.owner, reply.totalMs);
			job.reject(
				spent(
					new ActorError(
						"request",
						"invalid_yjs_message",
						"Invalid Yjs message: an update that does not apply",
					),
					reply.totalMs,
				),
			);
		}
		this.#next();
	}

	/**
	 * The worker time that ranks `owner`'s jobs: its own; for a document the
	 * worker has not checked before, none (it goes first), unless new
	 * documents used {@link NEWCOMER_FLOOD_MS} of it lately: then all of
	 * theirs (see {@link Owner.known}).
	 */
	#usage(owner: Owner, now: number): number {
		if (owner.known) return usageOf(owner, now);
		const newcomers = usageOf(this.#newcomers, now);
		return newcomers >= NEWCOMER_FLOOD_MS ? newcomers : 0;
	}

	/**
	 * A waiting job's place in line, lowest first: its document's recent worker
	 * time less the time it has waited. A document that used the worker little
	 * goes before one that used it much, and no document waits much longer than
	 * the time it used, however many new documents come.
	 */
	#rank(job: Job, now: number): number {
		return this.#usage(job.owner, now) - (now - job.queuedAt);
	}

	/** Charges `ms` of the worker to `owner`, and to the newcomers while it was one. */
	#charge(owner: Owner, ms: number): void {
		if (!owner.known) charge(this.#newcomers, ms);
		owner.known = true;
		charge(owner, ms);
	}

	#timedOut(job: Job): void {
		if (this.#current !== job) return;
		this.#timer = undefined;
		// Terminated mid-apply: the next update gets a new worker (and every mirror goes with this one).
		const worker = this.#worker;
		this.#worker = undefined;
		this.#seeding = 0;
		void worker?.terminate();
		this.#current = undefined;
		this.#charge(job.owner, job.limitMs);
		job.reject(tooSlow(job.limitMs));
		this.#next();
	}

	#lost(worker: Worker, error: unknown): void {
		if (worker !== this.#worker) return;
		this.#worker = undefined;
		this.#seeding = 0;
		// A check that killed the worker (out of memory) is charged the time it had it.
		const job = this.#current;
		if (job?.startedAt !== undefined) this.#charge(job.owner, performance.now() - job.startedAt);
		// A worker that cannot start (Yjs not loadable there) fails every job: after a few, off.
		if (!this.#ready) this.#failures++;
		this.#fail(error);
	}
}

/** The process's verifier (made on first use). */
let shared: ApplyVerifier | undefined;
export function sharedApplyVerifier(): ApplyVerifier {
	shared ??= new ApplyVerifier();
	return shared;
}
