import type { ActorContext } from "../actor/context.js";
import type { ActorStore } from "../storage/interfaces.js";
import type { ActorCore } from "./actor-core.js";
import type { PendingWrites } from "./pending-writes.js";
import type { QueueManager } from "./queue-manager.js";

/**
 * What a `run` handler built into Tenon (the workflow engine) may use beyond
 * the public context: the actor's buffered writes, its queues, and a say in
 * when the actor may sleep and when it must be woken. Not public API.
 */
export interface RunHost {
	readonly core: ActorCore;
	readonly actorId: string;
	/** The actor's store (to load what the handler saved). */
	readonly store: ActorStore;
	/** Writes that commit with the actor's next turn. */
	readonly writes: PendingWrites;
	readonly queue: QueueManager;
	/** The actor context that steps run with. */
	readonly context: ActorContext<any, any, any, any, any, any, any>;
	/**
	 * True: the handler only waits (a durable sleep, a queue wait), so the
	 * actor may go to sleep. False: it is working and keeps the actor awake.
	 */
	setIdle(idle: boolean): void;
	/**
	 * When the actor must be awake again for this handler (part of its alarm,
	 * so a sleeping or crashed actor is woken then); undefined: not needed.
	 */
	setWakeAt(at: number | undefined): void;
}

const RUN_HOST = Symbol.for("tenon.runHost");

/** Attaches the run host to the context a `run` handler receives. */
export function attachRunHost(context: object, host: RunHost): void {
	Object.defineProperty(context, RUN_HOST, { value: host, enumerable: false });
}

/** The run host behind a `run` handler's context. */
export function runHostOf(context: unknown): RunHost {
	const host =
		typeof context === "object" && context !== null
			? (context as { [RUN_HOST]?: RunHost })[RUN_HOST]
			: undefined;
	if (host === undefined) {
		throw new Error("workflow(...) must be used as an actor's `run` handler");
	}
	return host;
}
