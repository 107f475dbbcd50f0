import type { CreateContext } from "../actor/context.js";
import { newActorId } from "../common/ids.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { decodeUntrustedInput } from "../protocol/encoding.js";
import { ActorError, errors, toPublicError } from "../protocol/errors.js";
import { serializeKey } from "../protocol/keys.js";
import type { ActorRecord } from "../storage/interfaces.js";
import type { ActorInstance } from "./actor-instance.js";
import type { ActorHostOptions, ActorType } from "./actor-types.js";
import type { Caller } from "./caller.js";
import { hookFailure } from "./connections/close-codes.js";

/** What creating actors needs of its host. */
export interface CreationDeps {
	readonly options: ActorHostOptions;
	type(name: string): ActorType;
	/** The instance of an actor awake, waking or stopping on this node, if any. */
	instanceOf(actorId: string): ActorInstance | Promise<ActorInstance> | undefined;
}

/** A creation's outcome: the live record holding the key, and whether this call made it. */
export interface Created {
	record: ActorRecord;
	created: boolean;
}

/** One create as {@link ActorCreation.create} was asked it, through its retries. */
interface CreateRequest {
	namespace: string;
	name: string;
	key: string[];
	input: Uint8Array | undefined;
	decodedInput: unknown;
	failIfExists: boolean;
	caller: Caller;
	answers: boolean;
	/** `onBeforeCreate` accepted this request already (a retry asks it once). */
	checked: boolean;
}

/**
 * Creating actors, and undoing the creation of a caller the actor's connect
 * hooks refused. An undo never takes an actor another caller was told of:
 * a REST create or get-or-create (`PUT`/`POST /actors`) that answered with
 * it claims it, and one that finds it being undone waits for it to go and
 * creates the key anew. Before 2026-11-27 a refused `getOrCreate` racing a
 * `PUT /actors` for the key destroyed the actor whose id the `PUT` had
 * just answered (its next call: `actor/not_found`), and a racing `POST`
 * got `actor/duplicate_key` for a key nothing held afterwards (a probe).
 * Claims are this node's: in a cluster, a REST create answered by another
 * node than the actor's owner does not claim it.
 */
export class ActorCreation {
	readonly #deps: CreationDeps;
	/** Concurrent creates of one key in this process share one directory call. */
	readonly #creating = new Map<string, Promise<Created>>();
	/**
	 * Actors a gateway call created, until their first wake: whether a REST
	 * create answered with one meanwhile (the instance does not exist yet).
	 */
	readonly #unwoken = new Map<string, boolean>();
	/** Instances a REST create answered with: never undone. */
	readonly #claimed = new WeakSet<ActorInstance>();
	/** Instances being undone: a create that finds their key waits for them to go. */
	readonly #undoing = new WeakSet<ActorInstance>();
	/** Creations being undone after their first wake failed (by id): creates wait for them. */
	readonly #undoingIds = new Map<string, Promise<void>>();

	constructor(deps: CreationDeps) {
		this.#deps = deps;
	}

	/**
	 * Creates an actor, or returns the live one holding the key. With
	 * `failIfExists`, an existing key is `actor/duplicate_key`. `answers`: the
	 * caller is told of an existing actor (a REST create), which claims it.
	 */
	async create(
		namespace: string,
		name: string,
		key: string[],
		input: Uint8Array | undefined,
		failIfExists: boolean,
		caller: Caller,
		answers: boolean,
	): Promise<Created> {
		const type = this.#deps.type(name);
		const { limits } = this.#deps.options;
		let decodedInput: unknown;
		if (input !== undefined) {
			if (input.byteLength > limits.maxInputBytes) throw errors.inputTooLong(limits.maxInputBytes);
			// Decoded before anything is stored: input that cannot be read back
			// would make every later wake of this key fail.
			decodedInput = decodeUntrustedInput(input);
		}
		const request: CreateRequest = {
			namespace,
			name,
			key,
			input,
			decodedInput,
			failIfExists,
			caller,
			answers,
			checked: false,
		};
		for (;;) {
			const result = await this.#createOrFind(type, request);
			if (result.created) return result;
			const { actorId } = result.record;
			// Looked at and claimed in one step: no undo starts in between.
			const undoing = this.#undoingInstance(actorId);
			if (undoing !== undefined) {
				await undoing.stopped;
				continue;
			}
			const undoingId = this.#undoingIds.get(actorId);
			if (undoingId !== undefined) {
				await undoingId;
				continue;
			}
			if (answers) {
				this.#claim(actorId);
				// The read may have found the record before a whole undo ran, and answered
				// after it: the actor is gone then (a review). Claimed now, it stays if it is there.
				const live = await this.#deps.options.storage.directory.getById(actorId);
				if (live === undefined || live.destroyedAt !== undefined) continue;
			}
			if (failIfExists) throw errors.duplicateKey(name, key);
			return result;
		}
	}

	/**
	 * Undoes a refused caller's creation: destroys the actor unless a REST
	 * create answered with it, or a caller was accepted or a connection opened
	 * since it woke. True when it was destroyed.
	 */
	async undo(instance: ActorInstance): Promise<boolean> {
		if (this.#claimed.has(instance) || this.#unwoken.get(instance.actorId) === true) return false;
		const wasAwake = instance.status === "awake";
		// Checked and started in one step (destroyIfUnclaimed stops synchronously).
		const destroyed = instance.destroyIfUnclaimed();
		if (wasAwake && instance.status !== "awake") this.#undoing.add(instance);
		return destroyed;
	}

	async #createOrFind(type: ActorType, request: CreateRequest): Promise<Created> {
		const { namespace, name, key, input } = request;
		const { directory } = this.#deps.options.storage;
		if (!request.failIfExists) {
			const existing = await directory.getByKey(namespace, name, key);
			if (existing) return { record: existing, created: false };
		}
		if (!request.checked) {
			await this.#checkCreate(type, name, key, request.decodedInput, request.caller);
			request.checked = true;
		}
		const flightKey = `${namespace}\u0000${name}\u0000${serializeKey(key)}`;
		let flight = this.#creating.get(flightKey);
		if (flight !== undefined) return { record: (await flight).record, created: false };
		flight = directory
			.create({
				actorId: newActorId(),
				namespace,
				name,
				key,
				createdAt: this.#deps.options.clock.now(),
				...(input === undefined ? {} : { input }),
			})
			.then((result) => {
				// Marked before any other caller can hear of the actor (this runs as the write lands).
				if (result.created && !request.answers) this.#unwoken.set(result.actor.actorId, false);
				return { record: result.actor, created: result.created };
			});
		this.#creating.set(flightKey, flight);
		void flight.finally(() => this.#creating.delete(flightKey)).catch(() => {});
		return flight;
	}

	/** The actor's instance, when it is being undone (its key is free once it stopped). */
	#undoingInstance(actorId: string): ActorInstance | undefined {
		const found = this.#deps.instanceOf(actorId);
		return found !== undefined && !(found instanceof Promise) && this.#undoing.has(found)
			? found
			: undefined;
	}

	/**
	 * True while `actorId` is an actor a gateway call created, not yet woken, that no REST
	 * create answered with: no caller was told of it, so a first wake that fails before it
	 * stored anything may undo its creation (see ActorHost).
	 */
	unclaimedNew(actorId: string): boolean {
		return this.#unwoken.get(actorId) === false;
	}

	/** The creation of `actorId` is being undone until `undo` settles (see {@link unclaimedNew}). */
	undoing(actorId: string, undo: Promise<void>): Promise<void> {
		const done: Promise<void> = undo.finally(() => {
			if (this.#undoingIds.get(actorId) === done) this.#undoingIds.delete(actorId);
		});
		this.#undoingIds.set(actorId, done);
		// One undo per creation: a second wake failing meanwhile does not start another.
		this.#unwoken.delete(actorId);
		return done;
	}

	/** The host woke (or failed to wake) an actor: a claim made before is the instance's now. */
	woke(actorId: string, instance: ActorInstance | undefined): void {
		const claimed = this.#unwoken.get(actorId);
		if (claimed === undefined) return;
		this.#unwoken.delete(actorId);
		if (claimed && instance !== undefined) this.#claimed.add(instance);
	}

	/** A REST create answered with the actor: an undo leaves it be. */
	#claim(actorId: string): void {
		if (this.#unwoken.has(actorId)) {
			this.#unwoken.set(actorId, true);
			return;
		}
		const found = this.#deps.instanceOf(actorId);
		if (found === undefined) return;
		// Still waking: claimed as it wakes, before a refused caller's hooks can run.
		if (found instanceof Promise)
			void found.then(
				(instance) => this.#claimed.add(instance),
				() => {},
			);
		else this.#claimed.add(found);
	}

	/** Runs the actor's `onBeforeCreate` (bounded by its `connectTimeout`); it throws to refuse. */
	async #checkCreate(
		type: ActorType,
		name: string,
		key: string[],
		input: unknown,
		caller: Caller,
	): Promise<void> {
		const hook = type.definition.config.onBeforeCreate;
		if (hook === undefined) return;
		const { logger, clock, exposeInternalErrors } = this.#deps.options;
		const context: CreateContext = {
			name,
			key: Object.freeze([...key]),
			params: caller.params,
			request: caller.request,
			log: logger,
		};
		const timeout = type.options.connectTimeout;
		try {
			await withTimeout(
				callAsync(() => hook(context, input)),
				clock,
				timeout,
				() => errors.hookTimedOut("onBeforeCreate", timeout),
			);
		} catch (error) {
			if (error instanceof ActorError) throw error;
			logger.error("onBeforeCreate failed", { actor: name, error });
			// Marked as a refusal on the wire too: over the REST route (`PUT /actors`, a key with a
			// comma) this 500 was retried by the client for good, the hook run each time.
			const shown = toPublicError(error, exposeInternalErrors);
			const metadata = { ...(shown.metadata as object | undefined), refused: true };
			throw hookFailure(error, new ActorError(shown.group, shown.code, shown.message, metadata));
		}
	}
}
