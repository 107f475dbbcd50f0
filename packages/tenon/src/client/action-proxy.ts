// The callable proxies behind `handle.someAction(...)` and `conn.someAction(...)`.
import { SPECIAL_NAMES } from "../protocol/client-members.js";

/** A callable proxy for an action path (`handle.admin.reset(...)`). */
export function actionProxy(
	call: (name: string, args: unknown[]) => Promise<unknown>,
	path: string[],
): unknown {
	const name = path.join(".");
	return new Proxy(() => {}, {
		apply(_target, _thisArg, args: unknown[]) {
			return call(name, args);
		},
		get(_target, property) {
			if (typeof property === "symbol" || SPECIAL_NAMES.has(property)) return undefined;
			return actionProxy(call, [...path, property]);
		},
	});
}

/** Most action proxies a handle or connection keeps (names past it get a new proxy per read). */
const MAX_KEPT_ACTIONS = 256;

/**
 * The action proxies of one handle or connection, by name: `conn.increment()`
 * in a loop reads the same proxy instead of making a proxy, its handler and
 * its path on every call.
 */
export class ActionProxies {
	readonly #call: (name: string, args: unknown[]) => Promise<unknown>;
	readonly #made = new Map<string, unknown>();

	constructor(call: (name: string, args: unknown[]) => Promise<unknown>) {
		this.#call = call;
	}

	get(name: string): unknown {
		let proxy = this.#made.get(name);
		if (proxy === undefined) {
			proxy = actionProxy(this.#call, [name]);
			if (this.#made.size < MAX_KEPT_ACTIONS) this.#made.set(name, proxy);
		}
		return proxy;
	}
}
