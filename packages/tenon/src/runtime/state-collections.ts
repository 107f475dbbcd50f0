// The methods of a Map or a Set in state, called through its tracking proxy.

/**
 * Calls `method` of a Map or Set on behalf of its tracking proxy `self`: the
 * values it hands out (`get`, iteration, `forEach`) are tracking proxies too
 * (`wrap`), so a write to one is tracked and checked as any write through
 * state is. Before 2026-11-25 they were the raw objects: a change to one was
 * saved (the call marked the key changed) but never checked, and a value
 * that could not be stored failed the whole commit. Keys stay as they are (a
 * Map key's identity is what finds its entry). A method that returns the
 * collection itself (`set`, `add`) returns the proxy, so a chained call is
 * tracked too.
 */
export function callCollectionMethod(
	inner: Map<unknown, unknown> | Set<unknown>,
	name: string | symbol,
	method: (...args: unknown[]) => unknown,
	args: unknown[],
	wrap: (value: unknown) => unknown,
	self: object,
): unknown {
	const [callback, thisArg] = args as [(...items: unknown[]) => void, unknown];
	if (inner instanceof Map) {
		switch (name) {
			case "get":
				return wrap(inner.get(args[0]));
			case "values":
				return mapped(inner.values(), wrap);
			case "entries":
			case Symbol.iterator:
				return mapped(inner.entries(), ([key, value]) => [key, wrap(value)]);
			case "forEach":
				inner.forEach((value, key) => {
					callback.call(thisArg, wrap(value), key, self);
				});
				return undefined;
		}
	} else {
		switch (name) {
			case "values":
			case "keys":
			case Symbol.iterator:
				return mapped(inner.values(), wrap);
			case "entries":
				return mapped(inner.values(), (item) => {
					const wrapped = wrap(item);
					return [wrapped, wrapped];
				});
			case "forEach":
				inner.forEach((item) => {
					const wrapped = wrap(item);
					callback.call(thisArg, wrapped, wrapped, self);
				});
				return undefined;
		}
	}
	const result = method.apply(inner, args);
	return result === inner ? self : result;
}

function* mapped<T, U>(items: IterableIterator<T>, map: (item: T) => U): Generator<U> {
	for (const item of items) yield map(item);
}
