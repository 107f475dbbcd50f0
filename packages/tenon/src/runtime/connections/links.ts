import type { ActorOwner } from "../../storage/interfaces.js";
import type { ConnSocket } from "./conn-socket.js";

/** How an attempt to link a held socket to its actor's owner ended. */
export type LinkOutcome =
	/** The owner resumed the stored connection; the socket's input now goes there. */
	| "linked"
	/** The owner does not know the connection (it was closed for good): the client must reconnect. */
	| "unknown"
	/** The owner could not be reached, or no longer owns the actor: try again later. */
	| "unavailable";

/**
 * How connections reach across a cluster (implemented in `cluster/`, given
 * to the runtime when it runs as a node). A connection's socket stays on the
 * node that holds it (its holder), whichever node owns the actor: when the
 * owner is another node, the holder links the socket to it, and the owner
 * writes to the client through that link.
 */
export interface ConnectionLinks {
	/** This node's id (stored as the holder of the connections whose sockets it holds). */
	readonly nodeId: string;
	/** Links `socket`, held here, to its actor on `owner`. */
	link(socket: ConnSocket, owner: ActorOwner): Promise<LinkOutcome>;
	/** The actor woke here while `holderNodeId` holds sockets of its connections: tell it to link them. */
	notifyHolder(holderNodeId: string, actorId: string): void;
}

/** The close code an owner ends a link with when the actor sleeps: the holder keeps the socket. */
export const LINK_HIBERNATE = 4100;

/**
 * The close reason of a link ended with {@link LINK_HIBERNATE}: how many of
 * the holder's messages the owner took (handed to the actor) on that link.
 * The holder sends the rest again once the actor wakes, wherever that is:
 * they reached the owner after its connections stopped taking input (the
 * actor going to sleep), or after the close left, and were dropped unread.
 */
export function linkHibernateReason(taken: number): string {
	return `actor.hibernating;taken=${taken}`;
}

/** How many messages a {@link linkHibernateReason} says the owner took (undefined: it does not say). */
export function takenByOwner(reason: string): number | undefined {
	const match = /^actor\.hibernating;taken=(\d{1,15})$/.exec(reason);
	return match === null ? undefined : Number(match[1]);
}
