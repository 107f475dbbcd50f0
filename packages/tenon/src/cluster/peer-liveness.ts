import type { ClusterMembership } from "../storage/interfaces.js";
import { discard, loadPeerHop } from "./forward.js";
import { PEER_HEADER } from "./headers.js";
import { PING_ROUTE, peerRoute } from "./peer-routes.js";

/** Errors that say no connection to a peer can be made now (not a refusal: see {@link peerAlive}). */
const UNREACHABLE = new Set([
	"EHOSTUNREACH",
	"ENETUNREACH",
	"ENOTFOUND",
	"UND_ERR_CONNECT_TIMEOUT",
]);

function unreachable(error: unknown): boolean {
	for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
		if (UNREACHABLE.has((cause as { code?: unknown }).code as string)) return true;
		if (cause === (cause as { cause?: unknown }).cause) break;
	}
	return false;
}

/** Pings in flight, by URL: forwards and upgrades waiting on one peer share one. */
const pings = new Map<string, Promise<boolean>>();

/**
 * Whether node `nodeId` is alive as a forward to it needs: it beats in
 * PostgreSQL, and its HTTP server answers within the lease time. A peer that
 * beats but cannot be reached over HTTP (a wrong `--advertise` that names a
 * host accepting connections and never answering, or the network between
 * nodes cut while the database stays reachable) held forwarded requests and
 * upgrades for good: they have no time limit of their own (a queue wait may
 * take minutes), and the beat was all that was checked (a note, 2026-11-27).
 *
 * Any HTTP answer counts, whatever its status. So does a refused connection:
 * a node that stops closes its listener first and then finishes what it was
 * sent, and a forward to a node that is gone fails and is tried again by
 * itself. What counts as gone is no answer within the lease time (the time a
 * node's beat may be late before its leases are taken), or a peer no
 * connection reaches at all.
 */
export async function peerAlive(
	cluster: Pick<ClusterMembership, "nodeAddress" | "peerSecret" | "leaseTtlMs">,
	basePath: string,
	nodeId: string,
): Promise<boolean> {
	const address = await cluster.nodeAddress(nodeId);
	if (address === undefined) return false;
	const url = peerRoute(address, basePath, PING_ROUTE);
	// No HTTP address: nothing is forwarded there (forwards wait for its next beat).
	if (url === undefined) return true;
	let ping = pings.get(url.href);
	if (ping === undefined) {
		const started = answers(url, cluster.peerSecret, cluster.leaseTtlMs);
		pings.set(url.href, started);
		void started.finally(() => {
			if (pings.get(url.href) === started) pings.delete(url.href);
		});
		ping = started;
	}
	return await ping;
}

/** Whether the node at `url` answers a ping within `timeoutMs`. */
async function answers(url: URL, peerSecret: string, timeoutMs: number): Promise<boolean> {
	const { request, peers } = await loadPeerHop();
	const timeout = AbortSignal.timeout(timeoutMs);
	try {
		const answer = await request(url, {
			method: "GET",
			headers: { [PEER_HEADER]: peerSecret },
			signal: timeout,
			dispatcher: peers,
		});
		discard(answer.body);
		return true;
	} catch (error) {
		return !(timeout.aborted || unreachable(error));
	}
}
