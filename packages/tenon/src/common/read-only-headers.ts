/**
 * A read-only copy of `source` without the `drop` headers: hooks see a
 * request's headers, they cannot change what others see.
 */
export function readOnlyHeaders(
	source: HeadersInit,
	drop: readonly string[] = [],
	set: Readonly<Record<string, string>> = {},
): Headers {
	const copy = new Headers(source);
	for (const name of drop) copy.delete(name);
	for (const [name, value] of Object.entries(set)) copy.set(name, value);
	const refuse = () => {
		throw new TypeError("request headers are read-only");
	};
	for (const method of ["append", "delete", "set"] as const) {
		Object.defineProperty(copy, method, { value: refuse });
	}
	return copy;
}
