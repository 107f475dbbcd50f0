import type { ClusterMembership } from "../storage/interfaces.js";
import { discard, hasErrorCode, loadPeerHop } from "./forward.js";
import { PEER_HEADER } from "./headers.js";
import { PING_ROUTE, peerRoute } from "./peer-routes.js";

/**
 * Errors that say no connection to a peer could be made this time: asked
 * again until the lease time is over (a DNS lookup that failed once, or
 * undici's own 10 s connect timeout, must not end what waits before then).
 */
const NOT_CONNECTED = new Set([
	"EHOSTUNREACH",
	"ENETUNREACH",
	"ENOTFOUND",
	"EAI_AGAIN",
	"UND_ERR_CONNECT_TIMEOUT",
]);

/** Between two pings of a peer no connection reached (ms). */
const RETRY_MS = 250;

/**
 * Pings in flight, by lease time and URL: forwards and upgrades waiting on
 * one peer share one (a ping started for a shorter lease time would give
 * up on the peer too early for a longer one).
 */
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
 * itself. What counts as gone is nothing answering for the whole lease time
 * (the time a node's beat may be late before its leases are taken): a ping
 * unanswered, or no connection made however often it is tried.
 */
export async function peerAlive(
	cluster: Pick<ClusterMembership, "nodeAddress" | "peerSecret" | "leaseTtlMs">,
	basePath: string,
	nodeId: string,
	reachedAt?: string,
): Promise<boolean> {
	// A node gone from `nodes` whose address (`reachedAt`: where a forward or a piped socket
	// went) now answers is the process serving them: a node restarted there under a new id
	// (`tenon start`'s default) took the actor over, and a client's socket piped to it was cut
	// when the old id stopped beating (a cluster walkthrough, 2026-11-29). One that does not
	// answer within the lease time (frozen, unreachable) is gone, as before.
	const address = (await cluster.nodeAddress(nodeId)) ?? reachedAt;
	if (address === undefined) return false;
	const url = peerRoute(address, basePath, PING_ROUTE);
	// No HTTP address: nothing is forwarded there (forwards wait for its next beat).
	if (url === undefined) return true;
	// A whole number of ms: AbortSignal.timeout throws on any other (a lease time may be 1500.5).
	const timeoutMs = Math.max(1, Math.ceil(cluster.leaseTtlMs));
	const key = `${timeoutMs}\n${url.href}`;
	let ping = pings.get(key);
	if (ping === undefined) {
		const started = answers(url, cluster.peerSecret, timeoutMs);
		pings.set(key, started);
		void started.finally(() => {
			if (pings.get(key) === started) pings.delete(key);
		});
		ping = started;
	}
	return await ping;
}

/** Whether the node at `url` answers a ping within `timeoutMs` (never rejects). */
async function answers(url: URL, peerSecret: string, timeoutMs: number): Promise<boolean> {
	const timeout = AbortSignal.timeout(timeoutMs);
	try {
		const { request, peers } = await loadPeerHop();
		for (;;) {
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
				if (timeout.aborted) return false;
				if (!hasErrorCode(error, NOT_CONNECTED)) return true;
			}
			await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
			if (timeout.aborted) return false;
		}
	} catch {
		// undici could not be loaded: no verdict against the peer.
		return true;
	}
}
