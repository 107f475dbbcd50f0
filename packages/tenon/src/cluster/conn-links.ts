// Connections across a cluster. A connection's socket stays on the node that
// holds it (its holder); when another node owns the actor, the holder opens
// a link to the owner: a WebSocket that carries the connection's frames,
// proven with the cluster secret, naming the stored connection it continues.
// The owner resumes that connection on the link (no token, no hooks: the
// client was admitted when it connected) and writes to the client through
// it. When the actor sleeps there, the owner ends the link with
// LINK_HIBERNATE and the holder keeps the socket, idle; the next message
// links it again to whichever node owns the actor then.

import { WebSocket } from "ws";
import type { Logger } from "../common/logger.js";
import { errors, toErrorPayload } from "../protocol/errors.js";
import {
	type ActionId,
	decodeToClient,
	encodeToClient,
	encodeToServer,
	type ToServer,
} from "../protocol/messages.js";
import type { ConnectionLinks, ConnSocket, LinkOutcome } from "../runtime/actor-gateway.js";
import { LINK_HIBERNATE, takenByOwner } from "../runtime/actor-gateway.js";
import type { ActorOwner, ClusterMembership } from "../storage/interfaces.js";
import { HOLDER_HEADER, HOPS_HEADER, LINK_HEADER, PEER_HEADER } from "./headers.js";
import { PEER_PREFIX, peerRoute } from "./peer-routes.js";

type RouteOf = (address: string, path: string) => URL | undefined;

/** How long a link may take to open and be answered (ms). */
const LINK_TIMEOUT_MS = 5_000;

/** The links of one cluster node. */
export function createConnectionLinks(
	membership: ClusterMembership,
	log: Logger,
	basePath = "/",
): ConnectionLinks {
	const routeOf = (address: string, path: string) => peerRoute(address, basePath, path);
	return {
		nodeId: membership.nodeId,
		link: (socket, owner) => openLink(membership, socket, owner, log, routeOf),
		notifyHolder: (holderNodeId, actorId) => {
			void notify(membership, holderNodeId, actorId, routeOf).catch((error: unknown) =>
				log.debug("could not tell a node to link its held connections", {
					holder: holderNodeId,
					actorId,
					error,
				}),
			);
		},
	};
}

async function notify(
	membership: ClusterMembership,
	holderNodeId: string,
	actorId: string,
	routeOf: RouteOf,
): Promise<void> {
	const address = await membership.nodeAddress(holderNodeId);
	const url =
		address === undefined
			? undefined
			: routeOf(address, `${PEER_PREFIX}actors/${encodeURIComponent(actorId)}/link`);
	if (url === undefined) return;
	const response = await fetch(url, {
		method: "POST",
		headers: { [PEER_HEADER]: membership.peerSecret },
		signal: AbortSignal.timeout(LINK_TIMEOUT_MS),
		// Never followed: `fetch` keeps custom headers across origins, and a redirect (an
		// app's fallback answering a path it does not know with its login page, a TLS
		// redirector in front of a node) sent the cluster secret to wherever it pointed
		// (an attacker probe, 2026-11-26). A node answers this route itself, with 204.
		redirect: "error",
	});
	await response.body?.cancel();
}

function openLink(
	membership: ClusterMembership,
	socket: ConnSocket,
	owner: ActorOwner,
	log: Logger,
	routeOf: RouteOf,
): Promise<LinkOutcome> {
	const connId = socket.connId;
	const route = routeOf(owner.address, `/gateway/${encodeURIComponent(socket.actorId)}/connect`);
	if (connId === undefined || route === undefined) return Promise.resolve("unavailable");
	const encoding = socket.encoding;
	route.protocol = route.protocol === "https:" ? "wss:" : "ws:";
	const url = route.href;
	return new Promise<LinkOutcome>((resolve) => {
		const ws = new WebSocket(url, ["rivet", `rivet_encoding.${encoding}`], {
			headers: {
				[PEER_HEADER]: membership.peerSecret,
				[HOPS_HEADER]: "1",
				[LINK_HEADER]: connId,
				[HOLDER_HEADER]: membership.nodeId,
			},
			handshakeTimeout: LINK_TIMEOUT_MS,
			perMessageDeflate: false,
		});
		let linked = false;
		let settled = false;
		const settle = (outcome: LinkOutcome) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			resolve(outcome);
		};
		const timer = setTimeout(() => {
			settle("unavailable");
			ws.terminate();
		}, LINK_TIMEOUT_MS);
		/**
		 * Actions sent to the owner and not answered yet, and the bytes of each frame, counted
		 * here with the node's held request bytes (and the client's address share) until
		 * answered: the owner does not count a link's calls (it does not know the client's
		 * address), and before 2026-11-29 nothing did, so a client of a node that relays its
		 * calls held what it liked on both nodes (see server/held-bodies.ts).
		 */
		const inFlight = new CountedCalls((bytes) => socket.releaseCall(bytes));
		const sent = new SentOnLink();

		ws.on("message", (data: Buffer, isBinary: boolean) => {
			const frame: string | Uint8Array = isBinary ? new Uint8Array(data) : data.toString("utf8");
			let message: ReturnType<typeof decodeToClient> | undefined;
			try {
				message = decodeToClient(encoding, frame);
			} catch {
				message = undefined;
			}
			if (!linked) {
				if (message?.tag === "Init") {
					// The client had its Init when it connected: this one is the owner's answer.
					linked = true;
					socket.attach({
						receive: (input) => {
							if (input.kind === "refuse") {
								const error = toErrorPayload(input.error, false);
								socket.send(
									encodeToClient(encoding, { tag: "Error", error, actionId: input.actionId }),
								);
								return;
							}
							const { message: outgoing } = input;
							if (outgoing.tag === "ActionRequest") {
								const bytes = input.bytes ?? 0;
								const refused = bytes > 0 ? socket.holdCall(bytes) : undefined;
								if (refused !== undefined) {
									// Past the budget: answered here, as the owner's node would have.
									const error = toErrorPayload(refused, false);
									socket.send(
										encodeToClient(encoding, { tag: "Error", error, actionId: outgoing.id }),
									);
									return;
								}
								inFlight.add(outgoing.id, bytes);
							}
							sent.add(outgoing, input.bytes ?? 0);
							ws.send(encodeToServer(encoding, outgoing));
						},
						closed: () => ws.close(1000, "client.gone"),
					});
					settle("linked");
					return;
				}
				const unknown = message?.tag === "Error" && message.error.code === "connection_not_found";
				settle(unknown ? "unknown" : "unavailable");
				ws.close();
				return;
			}
			const answered =
				message?.tag === "ActionResponse"
					? message.id
					: message?.tag === "Error"
						? message.actionId
						: null;
			if (answered !== null) {
				inFlight.answer(answered);
				sent.answered(answered);
			}
			socket.send(frame);
		});

		ws.on("close", (code: number, reason: Buffer) => {
			if (!linked) {
				settle("unavailable");
				return;
			}
			if (code === 1000 || code === 1008) {
				// The owner closed the connection for good (destroyed, disconnect(), refused).
				inFlight.drain();
				socket.release();
				socket.close(code, reason.toString("utf8"));
				return;
			}
			socket.detach();
			let error = errors.connectionOwnerLost();
			if (code === LINK_HIBERNATE) {
				// The actor slept there. What the owner did not take was dropped there
				// unread: it is input again, held here in order (before anything newer),
				// and wakes the actor wherever it wakes next (not for a client gone
				// meanwhile). An action it took and did not answer (it answers all before
				// it sleeps, unless one outlived the grace period) is failed below.
				const taken = takenByOwner(reason.toString("utf8"));
				if (!socket.clientGone)
					for (const { message, bytes } of sent.notTaken(taken)) {
						// An owner that does not say what it took (a node of an older version):
						// its unanswered actions may have run, so they fail; the rest is sent again.
						if (message.tag === "ActionRequest" && taken === undefined) continue;
						// Held again with its own size (counted while held, then where it goes).
						if (message.tag === "ActionRequest") inFlight.withdraw(message.id);
						socket.receive(message, bytes || undefined);
					}
				if (inFlight.size === 0) return;
				error = errors.connectionOwnerSlept();
			}
			// The owner went away (died, shut down, lost its lease): the socket stays
			// here; answers that will not come are errors now, and the next message
			// links it to whichever node owns the actor then.
			log.debug("a connection link ended; its socket waits here", {
				actorId: socket.actorId,
				connId,
				code,
			});
			const payload = toErrorPayload(error, false);
			for (const actionId of inFlight.drain())
				socket.send(encodeToClient(encoding, { tag: "Error", error: payload, actionId }));
		});

		ws.on("error", (error: Error) => {
			log.debug("connection link error", { actorId: socket.actorId, connId, error });
		});
	});
}

/**
 * The calls a link sent and its owner did not answer yet, each with its frame's counted bytes,
 * in order by id: a client may give two calls one id (the owner runs both), and each counts
 * until its own answer. Kept by id alone, a second call released the first's bytes while it
 * still ran, and a socket held 128 calls with one counted (a review, 2026-11-29).
 */
class CountedCalls {
	readonly #calls = new Map<string, { id: ActionId; bytes: number }[]>();
	readonly #release: (bytes: number) => void;

	constructor(release: (bytes: number) => void) {
		this.#release = release;
	}

	get size(): number {
		return this.#calls.size;
	}

	add(id: ActionId, bytes: number): void {
		const key = String(id);
		const calls = this.#calls.get(key);
		if (calls === undefined) this.#calls.set(key, [{ id, bytes }]);
		else calls.push({ id, bytes });
	}

	/** The oldest call with `id` is answered: its bytes are released (and returned; 0: none). */
	answer(id: ActionId): number {
		const key = String(id);
		const calls = this.#calls.get(key);
		const call = calls?.shift();
		if (calls !== undefined && calls.length === 0) this.#calls.delete(key);
		if (call === undefined) return 0;
		if (call.bytes > 0) this.#release(call.bytes);
		return call.bytes;
	}

	/**
	 * The newest call with `id` was not taken by the owner (it is held again): its bytes are
	 * released. The owner takes a link's messages in order, so the calls of an id it did not
	 * take are the newest of that id; those before, taken and unanswered, stay to be failed.
	 */
	withdraw(id: ActionId): void {
		const key = String(id);
		const calls = this.#calls.get(key);
		const call = calls?.pop();
		if (calls !== undefined && calls.length === 0) this.#calls.delete(key);
		if (call !== undefined && call.bytes > 0) this.#release(call.bytes);
	}

	/** Every call is let go (the link ended): their ids, one per call, in order. */
	drain(): ActionId[] {
		const ids: ActionId[] = [];
		for (const calls of this.#calls.values())
			for (const { id, bytes } of calls) {
				if (bytes > 0) this.#release(bytes);
				ids.push(id);
			}
		this.#calls.clear();
		return ids;
	}
}

/**
 * Most messages kept for sending again (see {@link SentOnLink}): a client
 * that only changes subscriptions, never calling an action, would otherwise
 * grow the list for as long as its link lasts. Past it the oldest go: a
 * subscription change that old was taken long before the actor slept.
 */
const MAX_KEPT = 1_024;

/**
 * The messages sent on one link that its owner may not have taken (see
 * `linkHibernateReason`), in order, counted from the link's first. An answer
 * to an action means the owner took it and everything sent before it (it
 * takes a link's messages in order), so those are let go.
 */
class SentOnLink {
	/** Each with its frame's bytes (0: not counted), to be counted at its size if held again. */
	#kept: { message: ToServer; bytes: number }[] = [];
	/** How many messages were sent before the first kept one. */
	#before = 0;

	add(message: ToServer, bytes: number): void {
		this.#kept.push({ message, bytes });
		if (this.#kept.length > MAX_KEPT) {
			this.#kept.shift();
			this.#before++;
		}
	}

	answered(id: ActionId): void {
		const at = this.#kept.findIndex(
			({ message }) => message.tag === "ActionRequest" && message.id === id,
		);
		if (at < 0) return;
		this.#kept.splice(0, at + 1);
		this.#before += at + 1;
	}

	/** What the owner did not take, when it took the first `taken` (undefined: all kept). */
	notTaken(taken: number | undefined): { message: ToServer; bytes: number }[] {
		return taken === undefined ? this.#kept : this.#kept.slice(Math.max(0, taken - this.#before));
	}
}
