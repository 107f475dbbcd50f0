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

/** The node's readiness: its phase (set by the server), its storage and its leases. */
export class Readiness {
	readonly #storage: StorageHandles;
	readonly #logger: Logger;
	#phase: "starting" | "serving" | "draining" | "stopped" = "starting";
	/** The last storage check: when it ended and whether it passed; one in flight at most. */
	#checked: { at: number; ok: boolean } | undefined;
	#checking: Promise<boolean> | undefined;
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
		if (cluster !== undefined && (!cluster.renewalsOnTime() || !cluster.leasesCurrent()))
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

	#storageAnswers(): Promise<boolean> {
		const check = this.#storage.check;
		if (check === undefined) return Promise.resolve(true);
		const last = this.#checked;
		if (last !== undefined && performance.now() - last.at < STORAGE_CHECK_TTL_MS) {
			return Promise.resolve(last.ok);
		}
		this.#checking ??= within(check.call(this.#storage), STORAGE_CHECK_TIMEOUT_MS).then((ok) => {
			this.#checked = { at: performance.now(), ok };
			this.#checking = undefined;
			return ok;
		});
		return this.#checking;
	}
}

/** True when `work` resolves within `ms`; false when it rejects or takes longer. */
function within(work: Promise<void>, ms: number): Promise<boolean> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		// A probe's wait must not keep a process that is exiting alive.
		timer.unref();
		work.then(
			() => {
				clearTimeout(timer);
				resolve(true);
			},
			() => {
				clearTimeout(timer);
				resolve(false);
			},
		);
	});
}
