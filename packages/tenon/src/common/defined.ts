/**
 * `options` without its entries whose value is `undefined`, to spread over
 * defaults: `{ ...DEFAULTS, ...options }` with `{ sleepTimeout: undefined }`
 * replaced the default with `undefined` (an actor given
 * `sleepTimeout: cold ? 1_000 : undefined` never slept, 2026-11-28). An
 * option given as `undefined` means its default, as an omitted one does.
 */
export function definedOnly<T extends object>(options: T | undefined): Defined<T> {
	const defined: Defined<T> = {};
	if (options === undefined) return defined;
	for (const [name, value] of Object.entries(options))
		if (value !== undefined) (defined as Record<string, unknown>)[name] = value;
	return defined;
}

/** Options of `T`, each optional and each settable to `undefined` (its default). */
export type Settable<T> = { [K in keyof T]?: T[K] | undefined };

/** `T`'s entries, optional, none of them `undefined`. */
export type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };
