import type { AccessCheck } from "../../actor/events.js";
import { callAsync, withTimeout } from "../../common/timeouts.js";
import { utf8Length } from "../../protocol/bytes.js";
import { ActorError, errors } from "../../protocol/errors.js";
import type { ActionId } from "../../protocol/messages.js";
import { PRESENCE_EVENT, STATE_EVENT } from "../../protocol/sync-names.js";
import type { ActorCore } from "../actor-core.js";
import type { ConnectionImpl } from "./connection.js";
import type { ConnectionHub, HubDeps } from "./connection-hub.js";

/**
 * Most bytes of event names one connection may be subscribed to. Its
 * subscriptions are stored with it, in a record written again whole (at a
 * bounded rate for them: SUBSCRIPTION_WRITES): an attacker probe's 1,000 names of 256 bytes made each 90-byte toggle
 * commit 259 KB, and waking an actor of 100 such connections took 210 ms.
 */
export const MAX_SUBSCRIBED_NAME_BYTES = 16 * 1024;

function overNameBytes(conn: ConnectionImpl, eventName: string): boolean {
	let bytes = utf8Length(eventName);
	for (const name of conn.subscriptions) bytes += utf8Length(name);
	return bytes > MAX_SUBSCRIBED_NAME_BYTES;
}

function tooManyNameBytes(): ActorError {
	return new ActorError(
		"limit",
		"too_many_subscriptions",
		`A connection may subscribe to events of at most ${MAX_SUBSCRIBED_NAME_BYTES} bytes of names in all`,
		{ limit: MAX_SUBSCRIBED_NAME_BYTES },
	);
}

/**
 * Subscription changes one connection may have waiting behind `canSubscribe`
 * checks: twice what it may subscribe to, so a client's burst of all its
 * subscriptions after a connect always fits, while an endless stream of
 * them (an attacker probe queued 9,005 in 10 s) does not.
 */
export function maxWaitingChanges(maxSubscriptions: number): number {
	return 2 * maxSubscriptions;
}

function tooManyWaiting(limit: number, eventName: string): ActorError {
	return new ActorError(
		"limit",
		"too_many_in_flight",
		`A connection may have at most ${limit} subscription changes waiting for checks; wait for answers first`,
		{ limit, eventName },
	);
}

/**
 * What connections subscribe to: the actor's events (checked by their
 * `canSubscribe`), its shared state and presence (a snapshot at once, then
 * changes); and the presence a client sets for itself.
 */
export class Subscriptions {
	/** Subscription changes of each connection waiting behind a `canSubscribe` check. */
	readonly #waiting = new WeakMap<ConnectionImpl, number>();
	/** The sync events each socket was sent a snapshot of. */
	readonly #synced = new WeakMap<object, Set<string>>();
	readonly #hub: ConnectionHub;
	readonly #deps: HubDeps;
	readonly #core: ActorCore;

	constructor(hub: ConnectionHub, deps: HubDeps) {
		this.#hub = hub;
		this.#deps = deps;
		this.#core = deps.core;
	}

	/** A client subscribes to (or unsubscribes from) `eventName`. */
	change(conn: ConnectionImpl, eventName: string, subscribe: boolean): void {
		if (eventName === STATE_EVENT || eventName === PRESENCE_EVENT)
			this.#syncEvent(conn, eventName, subscribe);
		else this.#userEvent(conn, eventName, subscribe);
	}

	/**
	 * Applies a subscription change. An event with `canSubscribe` is checked
	 * first; changes of one connection apply in the order they arrived even
	 * while a check is pending. Subscriptions are stored with the connection.
	 */
	#userEvent(conn: ConnectionImpl, eventName: string, subscribe: boolean): void {
		const check = subscribe ? this.#canSubscribe(eventName) : undefined;
		const apply = (allowed: boolean) => {
			const max = this.#core.limits.maxSubscriptionsPerConnection;
			if (!subscribe) {
				if (conn.unsubscribe(eventName)) conn.subscriptionsChanged();
			} else if (allowed && !conn.subscriptions.has(eventName) && conn.subscriptions.size >= max)
				this.#hub.sendError(conn, errors.tooManySubscriptions(max), null);
			else if (allowed && !conn.subscriptions.has(eventName) && overNameBytes(conn, eventName))
				this.#hub.sendError(conn, tooManyNameBytes(), null);
			else if (allowed) {
				if (conn.subscribe(eventName)) conn.subscriptionsChanged();
			} else {
				// Refused now: a subscription the connection kept (stored with it, through a lost
				// socket and its resume) goes too. Only the error was sent, and the events kept
				// coming to a user the check refused (an attacker probe, 2026-11-29).
				if (conn.unsubscribe(eventName)) conn.subscriptionsChanged();
				this.#hub.sendError(
					conn,
					errors.forbidden(`subscribing to '${eventName}' is not allowed`, { eventName }),
					null,
				);
			}
		};
		if (check === undefined && conn.subscriptionsPending === undefined) {
			apply(true);
			return;
		}
		// Changes waiting behind a check are bounded: an attacker probe queued 9,005 checks
		// in 10 s on one socket, about 700 bytes each, for as long as it stayed open.
		const waiting = this.#waiting.get(conn) ?? 0;
		const limit = maxWaitingChanges(this.#core.limits.maxSubscriptionsPerConnection);
		if (waiting >= limit) {
			this.#hub.sendError(conn, tooManyWaiting(limit, eventName), null);
			return;
		}
		this.#waiting.set(conn, waiting + 1);
		const previous = conn.subscriptionsPending ?? Promise.resolve();
		const next = previous.then(async () => {
			this.#waiting.set(conn, (this.#waiting.get(conn) ?? 1) - 1);
			if (conn.closed) return;
			let allowed = true;
			if (check !== undefined) {
				try {
					// Bounded by the action timeout: actions sent after the subscription wait for it
					// (connection-hub.ts), and a check that never answered held them for good (a review,
					// 2026-11-29). Past it, the subscription is refused.
					const checked = callAsync(() => check(this.#deps.checkContext(conn)));
					allowed =
						(await this.#core.track(
							withTimeout(checked, this.#core.clock, this.#core.options.actionTimeout, () =>
								errors.actionTimedOut(
									`canSubscribe of '${eventName}'`,
									this.#core.options.actionTimeout,
								),
							),
						)) === true;
				} catch (error) {
					this.#core.publicError(error, `canSubscribe of '${eventName}'`);
					allowed = false;
				}
			}
			if (!conn.closed) apply(allowed);
		});
		conn.subscriptionsPending = next;
		void next.finally(() => {
			if (conn.subscriptionsPending === next) conn.subscriptionsPending = undefined;
		});
	}

	/**
	 * Subscribing to the shared state or to presence: the subscriber gets a
	 * snapshot at once, then changes. An actor that shares neither refuses.
	 */
	#syncEvent(conn: ConnectionImpl, eventName: string, subscribe: boolean): void {
		if (!subscribe) {
			if (conn.unsubscribe(eventName)) conn.subscriptionsChanged();
			return;
		}
		const { sync, presence } = this.#deps;
		const feature = eventName === STATE_EVENT ? sync : presence;
		if (feature === undefined) {
			// Not `auth/forbidden` (before 2026-11-28): a hook's mistake read as an auth failure.
			const kind = eventName === STATE_EVENT ? "state" : "presence";
			this.#hub.sendError(conn, errors.notShared(kind, eventName), null);
			return;
		}
		const fresh = conn.subscribe(eventName);
		if (fresh) conn.subscriptionsChanged();
		// One snapshot per subscription and socket: an attacker probe's repeated subscribes
		// each made a whole snapshot (1,000 against a 200 KB state blocked the loop for 1 s).
		// A socket that replaced a dropped one is another object: it gets its snapshot.
		const socket = conn.transport as object | undefined;
		if (socket === undefined) return;
		let synced = this.#synced.get(socket);
		if (!fresh && synced?.has(eventName)) return;
		synced ??= new Set();
		synced.add(eventName);
		this.#synced.set(socket, synced);
		feature.subscribed(conn);
	}

	/** A client sets its own presence: answered at once (nothing is stored), shown to the others. */
	setPresence(conn: ConnectionImpl, id: ActionId, args: unknown[]): void {
		const presence = this.#deps.presence;
		if (presence === undefined) {
			this.#hub.sendError(conn, errors.notShared("presence", PRESENCE_EVENT), id);
			return;
		}
		// Answered on the socket it was asked on only (as an action's reply: see socketsReplaced).
		const asked = conn.socketsReplaced;
		presence.set(conn, args[0]).then(
			() => {
				if (conn.socketsReplaced === asked)
					this.#hub.sendUngated(conn, { tag: "ActionResponse", id, output: null });
			},
			(error: unknown) => {
				if (conn.socketsReplaced === asked)
					this.#hub.sendError(conn, this.#core.publicError(error, "presence"), id);
			},
		);
	}

	#canSubscribe(eventName: string): AccessCheck | undefined {
		const events = this.#deps.hooks.events;
		if (events === undefined || !Object.hasOwn(events, eventName)) return undefined;
		return events[eventName]?.canSubscribe;
	}
}
