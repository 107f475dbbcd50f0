// The static `state`, `vars` and `connState` of an actor's definition are
// copied with `structuredClone` for each actor (or connection). A value that
// cannot be copied (a function) failed every wake of every actor of the type,
// and a class instance was copied as a plain object (its methods gone:
// `c.vars.cache.get is not a function` at the first call), silently (a
// walkthrough, 2026-11-28). Both are refused where the actor is defined.

/** Values structuredClone copies with their kind (everything else an object may be is a class instance). */
const CLONED_KINDS: readonly (abstract new (...args: never[]) => unknown)[] = [
	Date,
	RegExp,
	ArrayBuffer,
	DataView,
	Error,
	Boolean,
	Number,
	String,
];

/** How many values are looked at in one static value before the check stops (it is a definition). */
const MAX_VISITED = 10_000;

/**
 * Throws when `value`, the definition's static `field`, cannot be copied for
 * each actor as it is: a function, a symbol, or a class instance anywhere in it.
 */
export function checkStaticValue(field: "state" | "vars" | "connState", value: unknown): void {
	if (value === undefined) return;
	const factory = `create${field[0]?.toUpperCase()}${field.slice(1)}`;
	const problem = findUncopyable(value, field);
	if (problem !== undefined)
		throw new Error(
			`\`${field}\` holds ${problem.what} at ${problem.path}, which is not copied for each actor as it is; make it in \`${factory}\` instead`,
		);
}

function findUncopyable(
	root: unknown,
	rootPath: string,
): { what: string; path: string } | undefined {
	const seen = new Set<object>();
	const pending: [unknown, string][] = [[root, rootPath]];
	while (pending.length > 0 && seen.size < MAX_VISITED) {
		const [value, path] = pending.pop() as [unknown, string];
		if (typeof value === "function") return { what: "a function", path };
		if (typeof value === "symbol") return { what: "a symbol", path };
		if (typeof value !== "object" || value === null || seen.has(value)) continue;
		seen.add(value);
		if (ArrayBuffer.isView(value) || CLONED_KINDS.some((kind) => value instanceof kind)) continue;
		if (value instanceof Map) {
			let i = 0;
			for (const [key, item] of value) {
				pending.push([key, `${path} (a Map's key ${i})`], [item, `${path}.get(${i})`]);
				i++;
			}
			continue;
		}
		if (value instanceof Set) {
			let i = 0;
			for (const item of value) pending.push([item, `${path} (a Set's item ${i++})`]);
			continue;
		}
		const proto = Object.getPrototypeOf(value);
		if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) {
			const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
			return {
				what:
					typeof name === "string" && name !== "" ? `an instance of ${name}` : "a class instance",
				path,
			};
		}
		for (const key of Object.keys(value))
			pending.push([
				(value as Record<string, unknown>)[key],
				Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`,
			]);
	}
	return undefined;
}
