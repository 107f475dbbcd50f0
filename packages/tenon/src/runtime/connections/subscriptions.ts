import type { AccessCheck } from "../../actor/events.js";
import { callAsync } from "../../common/timeouts.js";
import { errors } from "../../protocol/errors.js";
import type { ActionId } from "../../protocol/messages.js";
import { PRESENCE_ACTION, PRESENCE_EVENT, STATE_EVENT } from "../../protocol/sync-names.js";
import type { ActorCore } from "../actor-core.js";
import type { ConnectionImpl } from "./connection.js";
import type { ConnectionHub, HubDeps } from "./connection-hub.js";

/**
 * What connections subscribe to: the actor's events (checked by their
 * `canSubscribe`), its shared state and presence (a snapshot at once, then
 * changes); and the presence a client sets for itself.
 */
export class Subscriptions {
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
				if (conn.unsubscribe(eventName)) conn.changed();
			} else if (allowed && !conn.subscriptions.has(eventName) && conn.subscriptions.size >= max)
				this.#hub.sendError(conn, errors.tooManySubscriptions(max), null);
			else if (allowed) {
				if (conn.subscribe(eventName)) conn.changed();
			} else
				this.#hub.sendError(
					conn,
					errors.forbidden(`subscribing to '${eventName}' is not allowed`, { eventName }),
					null,
				);
		};
		if (check === undefined && conn.subscriptionsPending === undefined) {
			apply(true);
			return;
		}
		const previous = conn.subscriptionsPending ?? Promise.resolve();
		const next = previous.then(async () => {
			if (conn.closed) return;
			let allowed = true;
			if (check !== undefined) {
				try {
					allowed =
						(await this.#core.track(callAsync(() => check(this.#deps.checkContext(conn))))) ===
						true;
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
			if (conn.unsubscribe(eventName)) conn.changed();
			return;
		}
		const { sync, presence } = this.#deps;
		const feature = eventName === STATE_EVENT ? sync : presence;
		if (feature === undefined) {
			const what =
				eventName === STATE_EVENT
					? "shares no state (`shareState`)"
					: "has no presence (`presence`)";
			this.#hub.sendError(conn, errors.forbidden(`this actor ${what}`, { eventName }), null);
			return;
		}
		if (conn.subscribe(eventName)) conn.changed();
		feature.subscribed(conn);
	}

	/** A client sets its own presence: answered at once (nothing is stored), shown to the others. */
	setPresence(conn: ConnectionImpl, id: ActionId, args: unknown[]): void {
		const presence = this.#deps.presence;
		if (presence === undefined) {
			this.#hub.sendError(conn, errors.actionNotFound(PRESENCE_ACTION), id);
			return;
		}
		presence.set(conn, args[0]).then(
			() => this.#hub.sendUngated(conn, { tag: "ActionResponse", id, output: null }),
			(error: unknown) => this.#hub.sendError(conn, this.#core.publicError(error, "presence"), id),
		);
	}

	#canSubscribe(eventName: string): AccessCheck | undefined {
		const events = this.#deps.hooks.events;
		if (events === undefined || !Object.hasOwn(events, eventName)) return undefined;
		return events[eventName]?.canSubscribe;
	}
}
