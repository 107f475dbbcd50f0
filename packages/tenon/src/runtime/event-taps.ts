// The inspector's event log: the events actors broadcast, recorded once they
// were sent (after their turn's commit, behind the output gate), for the
// actors an inspector stream follows. An actor nobody follows has no tap:
// broadcasting costs one map lookup, and nothing is kept.

import type { Clock } from "../common/clock.js";
import { previewValue } from "../common/value-preview.js";

/** Events kept per followed actor (the newest). */
export const EVENT_RING_SIZE = 200;

/** One broadcast event as the inspector shows it. */
export interface SentEvent {
	/** Order of recording on this node (per actor, from 1). */
	readonly seq: number;
	readonly name: string;
	/** A bounded preview of the arguments (see `previewValue`). */
	readonly args: unknown;
	/** True when something was cut from `args`. */
	readonly truncated: boolean;
	/** How many connections were subscribed when it was broadcast. */
	readonly recipients: number;
	/** When it was released to its connections (its turn committed). */
	readonly sentAt: number;
}

/** The recorder of one followed actor. */
export interface EventTap {
	/**
	 * Notes a broadcast; it joins the log once `sent` resolves (its commit is
	 * durable). A failed commit drops it: such an event was never sent.
	 */
	record(name: string, args: unknown[], recipients: number, sent: Promise<void>): void;
}

type Listener = (event: SentEvent) => void;

class ActorEventTap implements EventTap {
	readonly ring: SentEvent[] = [];
	readonly listeners = new Set<Listener>();
	#seq = 0;
	readonly #clock: Clock;

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	record(name: string, args: unknown[], recipients: number, sent: Promise<void>): void {
		// The preview is taken now: the frame was encoded now, and args may change after.
		const preview = previewValue(args);
		sent.then(
			() => {
				const event: SentEvent = {
					seq: ++this.#seq,
					name: name.length > 200 ? `${name.slice(0, 200)}…` : name,
					args: preview.value,
					truncated: preview.truncated,
					recipients,
					sentAt: this.#clock.now(),
				};
				this.ring.push(event);
				if (this.ring.length > EVENT_RING_SIZE) this.ring.shift();
				for (const listener of this.listeners) {
					try {
						listener(event);
					} catch {
						// A listener's failure is its own.
					}
				}
			},
			() => {},
		);
	}
}

/** Taps by actor id, present only while someone follows the actor's events. */
export class EventTaps {
	readonly #taps = new Map<string, ActorEventTap>();
	readonly #clock: Clock;

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	/** The actor's tap, or undefined when nobody follows its events (the usual case). */
	tap(actorId: string): EventTap | undefined {
		if (this.#taps.size === 0) return undefined;
		return this.#taps.get(actorId);
	}

	/**
	 * Follows the events `actorId` sends from now on: `listener` gets each one.
	 * Returns the events already kept (oldest first) and the unsubscribe; the
	 * last one to leave drops the actor's log.
	 */
	follow(actorId: string, listener: Listener): { backlog: SentEvent[]; stop: () => void } {
		let tap = this.#taps.get(actorId);
		if (tap === undefined) {
			tap = new ActorEventTap(this.#clock);
			this.#taps.set(actorId, tap);
		}
		const followed = tap;
		followed.listeners.add(listener);
		return {
			backlog: [...followed.ring],
			stop: () => {
				followed.listeners.delete(listener);
				if (followed.listeners.size === 0 && this.#taps.get(actorId) === followed)
					this.#taps.delete(actorId);
			},
		};
	}

	/** How many actors are followed (for tests: zero once every stream ended). */
	get followed(): number {
		return this.#taps.size;
	}
}

/** What an awake actor tells the inspector: its commits, and its events when followed. */
export interface InspectionHooks {
	/** A commit of the actor became durable. */
	committed(actorId: string): void;
	/** The actor's event tap while an inspector follows its events, else undefined. */
	eventTap(actorId: string): EventTap | undefined;
}
