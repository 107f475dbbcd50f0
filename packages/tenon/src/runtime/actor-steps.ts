// Steps of an actor's life that need only what they are given: the wake
// sequence, the onStateChange hook, and deleting a destroyed actor's data.

import type { AnyActorDefinition } from "../actor/definition.js";
import type { ActorKeyList } from "../actor/types.js";
import { callSafely } from "../common/call-safely.js";
import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { cborDecodeCompat } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import { findNotPlain } from "../protocol/plain-data.js";
import {
	type CommitItem,
	type CommitResult,
	OwnedElsewhereError,
	type StorageHandles,
} from "../storage/interfaces.js";
import type { ActorWriter } from "./actor-writer.js";
import type { ActorContextImpl } from "./context-impl.js";
import type { LoadedState } from "./state-loader.js";
import type { StateTracker } from "./state-tracker.js";

type Config = AnyActorDefinition["config"];

/** Who is waking. */
export interface WakeIdentity {
	actorId: string;
	name: string;
	key: ActorKeyList;
	log: Logger;
}

/**
 * A {@link WakeIdentity} whose logger is the actor's, made when first read
 * (most wakes never log). A class: an object literal with a `log` getter
 * left about 400 bytes per wake-up in V8's old space as garbage
 * (`bench/promoted-garbage.ts`).
 */
export class ActorWakeIdentity implements WakeIdentity {
	readonly actorId: string;
	readonly name: string;
	readonly key: ActorKeyList;
	readonly #actor: { readonly log: Logger };

	constructor(actor: {
		readonly actorId: string;
		readonly name: string;
		readonly key: ActorKeyList;
		readonly log: Logger;
	}) {
		this.actorId = actor.actorId;
		this.name = actor.name;
		this.key = actor.key;
		this.#actor = actor;
	}

	get log(): Logger {
		return this.#actor.log;
	}
}

/**
 * The wake sequence: for a new actor, its input, `createState` (or a copy of
 * `state`) and `onCreate`; then `createVars` (or a copy of `vars`) and
 * `onWake`, which sees the vars (`setVars` gives them to the context first:
 * before 2026-11-28 `c.vars` was undefined in `onWake`, where RivetKit's users
 * start their intervals: a docs walkthrough).
 */
export async function runWakeSequence(
	config: Config,
	identity: WakeIdentity,
	loaded: LoadedState,
	tracker: StateTracker,
	context: ActorContextImpl,
	readInput: () => Promise<Uint8Array | undefined>,
	setVars: (vars: unknown) => void,
): Promise<void> {
	if (!loaded.initialized) {
		const inputBytes = await readInput();
		const input = inputBytes === undefined ? undefined : cborDecodeCompat(inputBytes);
		const initial = config.createState
			? await config.createState(identity, input)
			: structuredClone(config.state);
		// Told, not refused: what the commit stores differently (a lone surrogate half, from
		// `input.title.slice(0, 1)`, reads back as three U+FFFD after a restart) went unsaid
		// before 2026-11-27 (a walkthrough). Refusing it would fail every wake of that key, with
		// the same stored input, for good.
		const inexact = findNotPlain(initial, "state");
		if (inexact !== undefined)
			identity.log.warn("createState returned a value storage does not keep exactly", {
				path: inexact.path,
				what: inexact.what,
			});
		tracker.replace(initial);
		tracker.markAllDirty();
		if (config.onCreate) await config.onCreate(context, input);
	}
	let vars: unknown;
	if (config.createVars) {
		vars = await config.createVars(context);
	} else if (config.vars !== undefined) {
		try {
			vars = structuredClone(config.vars);
		} catch (error) {
			throw new Error(
				`\`vars\` of actor '${identity.name}' cannot be cloned; use createVars instead`,
				{ cause: error },
			);
		}
	}
	setVars(vars);
	if (config.onWake) await config.onWake(context);
}

/** `onSleep` or `onDestroy`, within the grace period; a failure is logged, the stop goes on. */
export async function runStopHook(
	config: Config,
	kind: "sleep" | "destroy" | "shutdown",
	context: ActorContextImpl,
	clock: Clock,
	graceMs: number,
	/** The actor's logger, asked for only when the hook fails (it is made on first use). */
	log: () => Logger,
): Promise<void> {
	const hookName = kind === "destroy" ? "onDestroy" : "onSleep";
	const hook = kind === "destroy" ? config.onDestroy : config.onSleep;
	if (!hook) return;
	await withTimeout(
		callAsync(() => hook(context)),
		clock,
		graceMs,
		() => errors.hookTimedOut(hookName, graceMs),
	).catch((error: unknown) => log().error(`${hookName} failed`, { error }));
}

/**
 * `onStateChange`: runs after a turn that changed the state, never for its
 * own writes, never re-entrantly, and not for the state a wake establishes.
 */
export interface StateChangeRunner {
	/** The state as it is now is the baseline (after a wake). */
	settle(): void;
	/** Calls the hook if the state changed since it last ran. */
	run(context: ActorContextImpl): void;
}

/** For an actor without `onStateChange`: one shared object that does nothing. */
export const NO_STATE_CHANGE_HOOK: StateChangeRunner = { settle() {}, run() {} };

export class StateChangeHook implements StateChangeRunner {
	readonly #hook: Config["onStateChange"];
	readonly #tracker: StateTracker;
	/** Where its failures are logged (the actor's logger is made on first use). */
	readonly #logs: { readonly log: Logger };
	#running = false;
	/** The tracker's change count when the hook last ran (or the state was established). */
	#seen = 0;

	constructor(
		hook: Config["onStateChange"],
		tracker: StateTracker,
		logs: { readonly log: Logger },
	) {
		this.#hook = hook;
		this.#tracker = tracker;
		this.#logs = logs;
	}

	/** The state as it is now is the baseline (after a wake). */
	settle(): void {
		this.#seen = this.#tracker.changeCount;
	}

	run(context: ActorContextImpl): void {
		const hook = this.#hook;
		if (!hook || this.#running || this.#tracker.changeCount === this.#seen) return;
		this.#running = true;
		try {
			callSafely(
				() => hook(context, this.#tracker.value),
				(error) => this.#logs.log.error("onStateChange threw", { error }),
			);
		} finally {
			// Writes made by the hook itself do not call it again.
			this.#seen = this.#tracker.changeCount;
			this.#running = false;
		}
	}
}

/** What deleting a destroyed actor's data needs. */
export interface DestroyDataDeps {
	actorId: string;
	/** The write fence the instance holds. */
	fence: number;
	directory: StorageHandles["directory"];
	/**
	 * Commits one item with the node's other commits (the commit pipeline):
	 * a commit of its own beside the pipeline's made the LMDB log refuse the
	 * pipeline's next batch (one record at a time), and every actor in that
	 * batch was reset (a review, 2026-11-26).
	 */
	commit(item: CommitItem): Promise<CommitResult>;
	writer: ActorWriter;
	clock: Clock;
	log: Logger;
	/** The actor has no alarm any more. */
	onAlarmCleared(): void;
	/** Its directory record goes too (a creation undone for a refused caller). */
	forget?: boolean;
}

/** Marks the actor destroyed, then deletes everything it stored. */
export async function destroyActorData(deps: DestroyDataDeps): Promise<void> {
	const { directory } = deps;
	// The turn that asked for the destroy may still be committing: let it
	// land (its caller is waiting for the reply) before the data goes.
	// With this instance's own fence: acquiring a new one would fence that
	// commit and fail the caller's action.
	await deps.writer.flush().catch(() => {});
	// Mark destroyed first: a crash before the data is deleted leaves
	// unreachable data, never a half-deleted actor that wakes up again.
	await directory.markDestroyed(deps.actorId, deps.clock.now());
	const result = await deps.commit({
		actorId: deps.actorId,
		fence: deps.fence,
		clear: true,
		puts: [],
		deletes: [],
		alarm: null,
	});
	if (!result.ok) deps.log.warn("destroyed actor's data was not deleted: fenced", { result });
	deps.onAlarmCleared();
	// A record left behind is harmless (the actor is destroyed): not a failure of the stop.
	if (result.ok && deps.forget)
		await directory
			.removeDestroyed?.(deps.actorId)
			.catch((error: unknown) =>
				deps.log.warn("could not delete an undone creation's record", { error }),
			);
}

/**
 * Marks an actor destroyed and deletes its data under `fence`, with no
 * instance: an actor whose wake fails (see ActorHost.destroy). Its record
 * stays, marked, as a destroyed actor's does.
 */
export async function destroyStoredActor(
	actorId: string,
	fence: number,
	directory: StorageHandles["directory"],
	pipeline: { submit(item: CommitItem): Promise<CommitResult> },
	clock: Clock,
): Promise<void> {
	await directory.markDestroyed(actorId, clock.now());
	const result = await pipeline.submit({
		actorId,
		fence,
		clear: true,
		puts: [],
		deletes: [],
		alarm: null,
	});
	if (!result.ok) throw errors.actorStopping();
}

/**
 * True for an error of an actor's wake itself (its hooks, its stored data),
 * not of finding or placing it: shutting down, overloaded, owned elsewhere,
 * gone or going to sleep.
 */
export function isWakeFailure(error: unknown): boolean {
	if (!(error instanceof ActorError)) return !(error instanceof OwnedElsewhereError);
	if (error.group === "limit") return false;
	if (error.group === "core" && error.code === "shutting_down") return false;
	return !(
		error.group === "actor" &&
		["not_found", "moved", "fenced", "stopping", "stopped", "destroyed"].includes(error.code)
	);
}
