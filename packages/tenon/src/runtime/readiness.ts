// Whether this node should be sent traffic: what `GET /ready` answers. A
// liveness check (`/health`) says only that the process serves HTTP; a load
// balancer or Kubernetes readiness probe needs more: a node that is still
// joining its cluster, whose storage does not answer, whose cluster leases are
// late (another node may own its actors by now), or that is shutting down
// should be taken out of rotation, and put back once it recovers.
import type { Logger } from "../common/logger.js";
import type { ClusterMembership, StorageHandles } from "../storage/interfaces.js";

/** Why a node is not ready: a stable word, safe to show anyone (no error text). */
export type NotReadyReason = "starting" | "draining" | "storage" | "leases" | "stopped";

/** What `/ready` reports. */
export type ReadinessReport = { ready: true } | { ready: false; reason: NotReadyReason };

/** A storage check's answer is reused this long, so a storm of probes costs one query (ms). */
export const STORAGE_CHECK_TTL_MS = 1_000;
/** A storage check that takes longer than this counts as failed (ms). */
export const STORAGE_CHECK_TIMEOUT_MS = 2_000;
/** Storage checks that must fail in a row before the node says `storage`. */
export const FAILED_CHECKS_BEFORE_NOT_READY = 2;

/** The node's readiness: its phase (set by the server), its storage and its leases. */
export class Readiness {
	readonly #storage: StorageHandles;
	readonly #logger: Logger;
	#phase: "starting" | "serving" | "draining" | "stopped" = "starting";
	/** The storage check in flight (at most one): when it started, and its answer within the timeout. */
	#pending: { since: number; answer: Promise<boolean> } | undefined;
	/** When the last storage check settled (`performance.now()`). */
	#checkedAt = Number.NEGATIVE_INFINITY;
	/** Storage checks failed (or timed out) in a row. */
	#failedInARow = 0;
	/** The last report logged, so a change is logged once. */
	#logged: string = "ready";

	constructor(storage: StorageHandles, logger: Logger) {
		this.#storage = storage;
		this.#logger = logger;
	}

	/** The server listens (and has joined its cluster): ready once the checks pass. */
	serving(): void {
		if (this.#phase === "starting") this.#phase = "serving";
	}

	/** The server is shutting down: not ready from now on, though it still serves a while. */
	draining(): void {
		if (this.#phase !== "stopped") this.#phase = "draining";
	}

	/** The runtime stopped. */
	stopped(): void {
		this.#phase = "stopped";
	}

	/** True once draining (or stopped). */
	get closing(): boolean {
		return this.#phase === "draining" || this.#phase === "stopped";
	}

	/** Checks the phase, the cluster's leases and the storage (at most once a second). */
	async check(): Promise<ReadinessReport> {
		const report = await this.#report();
		const shown = report.ready ? "ready" : report.reason;
		if (shown !== this.#logged) {
			// Phases the server itself set are logged where they are set.
			if (shown === "storage" || shown === "leases") {
				this.#logger.warn("not ready", { reason: shown });
			} else if (shown === "ready" && (this.#logged === "storage" || this.#logged === "leases")) {
				this.#logger.info("ready again", { was: this.#logged });
			}
			this.#logged = shown;
		}
		return report;
	}

	async #report(): Promise<ReadinessReport> {
		if (this.#phase !== "serving") return { ready: false, reason: this.#phase };
		const cluster: ClusterMembership | undefined = this.#storage.cluster;
		// Optional for drivers written before it: a driver without it counts as on time.
		if (cluster !== undefined && (cluster.renewalsOnTime?.() === false || !cluster.leasesCurrent()))
			return { ready: false, reason: "leases" };
		if (!(await this.#storageAnswers())) return { ready: false, reason: "storage" };
		// The phase may have changed while the storage was asked.
		return this.#afterCheck();
	}

	/** The phase after an await (a method: TypeScript keeps no narrowing across it). */
	#afterCheck(): ReadinessReport {
		const phase = this.#phase;
		return phase === "serving" ? { ready: true } : { ready: false, reason: phase };
	}

	/**
	 * Whether the storage answers: false only after {@link FAILED_CHECKS_BEFORE_NOT_READY}
	 * checks in a row failed (one slow answer is not an outage). A check runs at most once
	 * per {@link STORAGE_CHECK_TTL_MS}, and never while the last one is still pending: a check
	 * that hangs (a half-open connection) is waited for, counted as failed once it has taken
	 * longer than {@link STORAGE_CHECK_TIMEOUT_MS}, and not started again meanwhile.
	 */
	#storageAnswers(): Promise<boolean> {
		const check = this.#storage.check;
		if (check === undefined) return Promise.resolve(true);
		const now = performance.now();
		const pending = this.#pending;
		if (pending !== undefined) {
			if (now - pending.since < STORAGE_CHECK_TIMEOUT_MS) return pending.answer;
			this.#failedInARow = Math.max(this.#failedInARow, FAILED_CHECKS_BEFORE_NOT_READY);
			return Promise.resolve(false);
		}
		if (now - this.#checkedAt < STORAGE_CHECK_TTL_MS) return Promise.resolve(this.#answers);
		// A check that throws at once counts as failed, as one that rejects.
		const settled = Promise.resolve()
			.then(() => check.call(this.#storage))
			.then(
				() => true,
				() => false,
			);
		const started = { since: now, answer: within(settled, STORAGE_CHECK_TIMEOUT_MS) };
		this.#pending = started;
		void settled.then((ok) => {
			if (this.#pending === started) this.#pending = undefined;
			this.#checkedAt = performance.now();
			this.#failedInARow = ok ? 0 : this.#failedInARow + 1;
		});
		return started.answer.then((ok) => {
			// Timed out: one more failure (the late answer, if it comes, sets the streak right).
			if (!ok && this.#pending === started) this.#failedInARow++;
			return this.#answers;
		});
	}

	/** What the checks say: not answering after enough failures in a row. */
	get #answers(): boolean {
		return this.#failedInARow < FAILED_CHECKS_BEFORE_NOT_READY;
	}
}

/** True when `work` resolves true within `ms`; false when it resolves false or takes longer. */
function within(work: Promise<boolean>, ms: number): Promise<boolean> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		// A probe's wait must not keep a process that is exiting alive.
		timer.unref();
		void work.then((ok) => {
			clearTimeout(timer);
			resolve(ok);
		});
	});
}
