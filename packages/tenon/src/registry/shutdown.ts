// A started server's way out: drain (out of rotation, still serving), then
// stop the actors. `close()` runs these in order (server/node-adapter.ts).
import { moduleLogger } from "../common/logger.js";
import type { Runtime } from "../runtime/runtime.js";
import type { ClusterMembership } from "../storage/interfaces.js";

/**
 * Joins the cluster, or fails once that took three lease times (at least 5 s):
 * a database that took connections and answered nothing held a start for good,
 * `/ready` saying `starting` and `/health` 200, so nothing restarted it (a review,
 * 2026-11-28). The start fails instead, and the process can be restarted.
 */
export async function joinWithin(cluster: ClusterMembership, address: string): Promise<void> {
	const ms = Math.max(5_000, 3 * cluster.leaseTtlMs);
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(
			() => reject(new Error(`joining the cluster took over ${ms} ms (is PostgreSQL answering?)`)),
			ms,
		);
	});
	try {
		await Promise.race([cluster.join(address), late]);
	} finally {
		clearTimeout(timer);
	}
}

/** The longest drain accepted (ms): longer is a typo, not a plan. */
const MAX_DRAIN_MS = 10 * 60_000;

/**
 * How long a closing server keeps serving while `/ready` answers 503 before it
 * stops accepting: the option, else `TENON_DRAIN_MS`, else 0.
 */
export function drainMsFrom(option: number | undefined): number {
	const raw = option ?? (process.env.TENON_DRAIN_MS ? Number(process.env.TENON_DRAIN_MS) : 0);
	if (!Number.isFinite(raw) || raw < 0 || raw > MAX_DRAIN_MS) {
		throw new Error(
			`drainMs (TENON_DRAIN_MS) must be between 0 and ${MAX_DRAIN_MS} ms, not ${raw}`,
		);
	}
	return raw;
}

/**
 * The first step of a close: `/ready` answers 503 from now on, and for `ms`
 * the server goes on accepting and serving everything, so load balancers
 * that probe readiness take the node out of rotation before it stops
 * accepting (new connections then fail instead of reaching a server that is
 * gone).
 */
export async function drain(
	runtime: Runtime,
	ms: number,
	url: string,
	cut: AbortSignal,
): Promise<void> {
	runtime.readiness.draining();
	if (ms <= 0 || cut.aborted) return;
	const log = moduleLogger(runtime.logger, "server");
	log.info("tenon draining: /ready answers 503, still serving", { url, ms });
	await new Promise<void>((resolve) => {
		const done = () => {
			clearTimeout(timer);
			cut.removeEventListener("abort", cutShort);
			resolve();
		};
		const cutShort = () => {
			log.info("tenon drain cut short: closing now");
			done();
		};
		const timer = setTimeout(done, ms);
		cut.addEventListener("abort", cutShort, { once: true });
	});
}

/**
 * A runtime mounted in another server (`handler`, `nodeHandlers`) on a cluster
 * driver joins its cluster, so it renews its leases: at `TENON_ADVERTISE_URL`
 * when set (the URL of this server's Tenon routes, which other nodes forward
 * calls to), else without an address (it serves what reaches it; another node
 * cannot forward to it, and says the actor is unavailable instead).
 */
export async function joinMounted(runtime: Runtime): Promise<void> {
	const cluster = runtime.cluster;
	if (cluster === undefined) return;
	const address = process.env.TENON_ADVERTISE_URL ?? "";
	if (address === "")
		moduleLogger(runtime.logger, "cluster").warn(
			"mounted on a cluster driver without TENON_ADVERTISE_URL: this node renews its leases, but other nodes cannot forward calls to it; set it to the URL of this server's Tenon routes",
		);
	await joinWithin(cluster, address);
}

/**
 * After the server stopped accepting: every actor sleeps, storage closes.
 * Said at both ends: an operator saw nothing of a shutdown in the logs (an
 * SRE walkthrough, 2026-11-28), nor how long the actors took to stop.
 */
export async function stopActors(runtime: Runtime, url: string): Promise<void> {
	const log = moduleLogger(runtime.logger, "server");
	const started = performance.now();
	log.info("tenon stopping: actors sleep, connections close", { url });
	await runtime.stop();
	log.info("tenon stopped", { ms: Math.round(performance.now() - started) });
}
