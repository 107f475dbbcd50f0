import type { Conn } from "../../actor/context.js";
import { describeIssues, type StandardSchemaV1 } from "../../actor/schema.js";
import type { Clock, TimerHandle } from "../../common/clock.js";
import { TokenBucket } from "../../common/token-bucket.js";
import { cborEncode } from "../../protocol/encoding.js";
import { ActorError, errors } from "../../protocol/errors.js";
import { findNotPlain } from "../../protocol/plain-data.js";
import type { PresenceEntry } from "../../protocol/sync-names.js";
import type { ConnectionImpl } from "./connection.js";

/**
 * Presence: what each connection's client says about itself right now (a
 * cursor, a name, "typing"), shown to the others; never stored, gone with
 * the connection. Its identity comes from the actor (`identify`), not from
 * what the client sends.
 */
export interface PresenceOptions {
	/** Largest presence a client may set (encoded bytes). Default 1 KiB. */
	maxBytes?: number;
	/** Most presence updates per connection per second; more are merged (the latest wins). Default 20. */
	maxPerSecond?: number;
	/**
	 * Most presence frames the actor sends per second, every connection's
	 * updates together, counted per receiver: one update shown to 100
	 * subscribers is 100 frames. Past it, updates wait their turn (each
	 * connection's latest value, in the order they became due), so each
	 * connection's updates go out less often; nothing is lost but
	 * intermediate values. Default 20,000 (100 connections at 2 updates a
	 * second each, or 30 at 20): without it, frames grow with the square of
	 * the connections, and one client's 100 connections took the whole loop.
	 */
	maxFramesPerSecond?: number;
	/** What others see of who this connection is, from server-side state (e.g. `conn.state.name`). */
	// biome-ignore lint/suspicious/noExplicitAny: a runtime class serves every actor's type parameters; user code sees them typed through the public interface.
	identify?: (conn: Conn<any, any, any>) => unknown;
	/** Standard Schema the client's presence must pass (zod, valibot, ...). */
	schema?: StandardSchemaV1;
}

/** Where presence lives while the actor sleeps: with the connection's socket, never in storage. */
export interface PresenceSlot {
	presence: unknown;
}

/** What presence needs from its actor. */
export interface PresenceDeps {
	readonly options: PresenceOptions;
	readonly clock: Clock;
	/** Open connections subscribed to presence. */
	subscribers(): Iterable<ConnectionImpl>;
	/** Open connections. */
	connections(): Iterable<ConnectionImpl>;
	/** Where a connection's presence is kept (its socket). */
	slotOf(conn: ConnectionImpl): PresenceSlot | undefined;
	/** Sends a presence event to one connection, ahead of nothing durable (presence is not stored). */
	send(conn: ConnectionImpl, payload: unknown): void;
	/** Sends a presence event to every subscriber; returns how many frames that was. */
	broadcast(payload: PresenceEntry): number;
	/** What a caller may see of an error `identify` threw. */
	publicError(error: unknown, where: string): ActorError;
}

const DEFAULT_MAX_BYTES = 1024;
const DEFAULT_MAX_PER_SECOND = 20;
const DEFAULT_MAX_FRAMES_PER_SECOND = 20_000;
/** Frames sent at once, at most, past the rate (a tenth of a second of it). */
const FRAME_BURST_SECONDS = 0.1;

/** Rate state of one connection's updates. */
interface Pace {
	lastSentAt: number;
	timer: TimerHandle | undefined;
}

/** An actor's presence: set by each client for itself, fanned out to the others. */
export class Presence {
	readonly #deps: PresenceDeps;
	readonly #pace = new WeakMap<ConnectionImpl, Pace>();
	/** Frames the actor may still send (see {@link PresenceOptions.maxFramesPerSecond}). */
	readonly #frames: TokenBucket;
	/** Connections whose update is due and waits for frames, in the order they became due. */
	readonly #waiting = new Set<ConnectionImpl>();
	#drain: TimerHandle | undefined;

	constructor(deps: PresenceDeps) {
		this.#deps = deps;
		const perSecond = deps.options.maxFramesPerSecond ?? DEFAULT_MAX_FRAMES_PER_SECOND;
		const burst = Math.max(1, perSecond * FRAME_BURST_SECONDS);
		this.#frames = new TokenBucket({ perSecond, burst }, deps.clock.now());
	}

	/**
	 * A client sets its presence (`null` clears it). Checked (plain data,
	 * size, schema) and kept with its socket; others see it at once, or, past
	 * `maxPerSecond`, the latest value shortly after.
	 */
	async set(conn: ConnectionImpl, data: unknown): Promise<void> {
		const slot = this.#deps.slotOf(conn);
		if (slot === undefined) throw errors.invalid("presence needs a realtime connection");
		const options = this.#deps.options;
		let checked: unknown = data === undefined ? null : data;
		if (checked !== null) {
			const bad = findNotPlain(checked, "presence");
			if (bad !== undefined) throw errors.invalidValue(bad.path, bad.what);
			const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
			if (cborEncode(checked).byteLength > max)
				throw new ActorError(
					"limit",
					"presence_too_large",
					`Presence may be at most ${max} bytes`,
					{
						limit: max,
					},
				);
			if (options.schema !== undefined) {
				const result = await options.schema["~standard"].validate(checked);
				if (result.issues)
					throw new ActorError(
						"request",
						"invalid_presence",
						"Presence does not match its schema",
						{
							issues: describeIssues(result.issues),
						},
					);
				checked = result.value;
			}
		}
		// Closed, or its client replaced the socket while the schema ran: the value was for
		// a socket that no longer stands for it.
		if (conn.closed || this.#deps.slotOf(conn) !== slot) return;
		slot.presence = checked;
		this.#pace_(conn);
	}

	/** Sends `conn`'s presence now, or once its rate allows (the latest value then). */
	#pace_(conn: ConnectionImpl): void {
		let pace = this.#pace.get(conn);
		if (pace === undefined) {
			pace = { lastSentAt: Number.NEGATIVE_INFINITY, timer: undefined };
			this.#pace.set(conn, pace);
		}
		if (pace.timer !== undefined) return;
		const interval = 1000 / (this.#deps.options.maxPerSecond ?? DEFAULT_MAX_PER_SECOND);
		const wait = pace.lastSentAt + interval - this.#deps.clock.now();
		if (wait <= 0) {
			this.#due(conn);
			return;
		}
		const current = pace;
		current.timer = this.#deps.clock.setTimeout(() => {
			current.timer = undefined;
			if (!conn.closed) this.#due(conn);
		}, wait);
	}

	/** `conn`'s update may go: now, if the actor's frames allow and nobody waits, else in turn. */
	#due(conn: ConnectionImpl): void {
		if (this.#waiting.size === 0 && this.#frames.charge(0, this.#deps.clock.now()) === 0) {
			this.#announce(conn);
			return;
		}
		this.#waiting.add(conn);
		this.#scheduleDrain();
	}

	#scheduleDrain(): void {
		if (this.#drain !== undefined || this.#waiting.size === 0) return;
		const wait = this.#frames.charge(0, this.#deps.clock.now());
		this.#drain = this.#deps.clock.setTimeout(() => {
			this.#drain = undefined;
			this.#drainWaiting();
		}, wait);
	}

	/** Sends the waiting updates, first due first, while the actor's frames allow. */
	#drainWaiting(): void {
		for (const conn of this.#waiting) {
			if (this.#frames.charge(0, this.#deps.clock.now()) > 0) break;
			this.#waiting.delete(conn);
			if (!conn.closed) this.#announce(conn);
		}
		this.#scheduleDrain();
	}

	/** Shows `conn`'s latest presence to the subscribers, counting the frames it took. */
	#announce(conn: ConnectionImpl): void {
		const now = this.#deps.clock.now();
		const pace = this.#pace.get(conn);
		if (pace !== undefined) pace.lastSentAt = now;
		const entry = this.#entry(conn);
		if (entry !== undefined) this.#frames.charge(this.#deps.broadcast(entry), now);
	}

	#entry(conn: ConnectionImpl): PresenceEntry | undefined {
		const slot = this.#deps.slotOf(conn);
		if (slot === undefined) return undefined;
		let user: unknown = null;
		const identify = this.#deps.options.identify;
		if (identify !== undefined) {
			try {
				user = identify(conn) ?? null;
			} catch (error) {
				this.#deps.publicError(error, "presence.identify");
				return undefined;
			}
		}
		return { conn: conn.id, user, data: slot.presence ?? null };
	}

	/**
	 * The actor goes to sleep: the updates still waiting (for their
	 * connection's rate or the actor's frames) go now, each connection's
	 * latest value. After the sleep their timers would find the connections
	 * hibernated, and the others would never see them.
	 */
	flush(): void {
		if (this.#drain !== undefined) {
			this.#deps.clock.clearTimeout(this.#drain);
			this.#drain = undefined;
		}
		const due = [...this.#waiting];
		this.#waiting.clear();
		for (const conn of this.#deps.connections()) {
			const pace = this.#pace.get(conn);
			if (pace?.timer === undefined) continue;
			this.#deps.clock.clearTimeout(pace.timer);
			pace.timer = undefined;
			due.push(conn);
		}
		for (const conn of due) if (!conn.closed) this.#announce(conn);
	}

	/** A connection subscribed: it gets everyone's presence (its own included). */
	subscribed(conn: ConnectionImpl): void {
		const snapshot: PresenceEntry[] = [];
		for (const other of this.#deps.connections()) {
			const slot = this.#deps.slotOf(other);
			if (slot === undefined || slot.presence === undefined || slot.presence === null) continue;
			const entry = this.#entry(other);
			if (entry !== undefined) snapshot.push(entry);
		}
		this.#deps.send(conn, { snapshot });
	}

	/** A connection went: the others see its presence go. */
	closed(conn: ConnectionImpl): void {
		const pace = this.#pace.get(conn);
		if (pace?.timer !== undefined) this.#deps.clock.clearTimeout(pace.timer);
		this.#pace.delete(conn);
		this.#waiting.delete(conn);
		const slot = this.#deps.slotOf(conn);
		if (slot === undefined || slot.presence === undefined || slot.presence === null) return;
		slot.presence = null;
		// Shown at once (others must see who left), and counted.
		const sent = this.#deps.broadcast({ conn: conn.id, user: null, data: null });
		this.#frames.charge(sent, this.#deps.clock.now());
	}
}
