// The static `state`, `vars` and `connState` of an actor's definition are
// copied with `structuredClone` for each actor (or connection). A value that
// cannot be copied (a function) failed every wake of every actor of the type,
// and a class instance was copied as a plain object (its methods gone:
// `c.vars.cache.get is not a function` at the first call), silently (a
// walkthrough, 2026-11-28). Both are refused where the actor is defined.

/** Kinds structuredClone copies as they are (their exact prototypes: a subclass loses its methods). */
const CLONED_PROTOTYPES: ReadonlySet<unknown> = new Set(
	[
		Date,
		RegExp,
		ArrayBuffer,
		DataView,
		Boolean,
		Number,
		String,
		BigInt,
		Error,
		EvalError,
		RangeError,
		ReferenceError,
		SyntaxError,
		TypeError,
		URIError,
		globalThis.Blob,
	]
		.filter((kind) => kind !== undefined)
		.map((kind) => (kind as { prototype: unknown }).prototype),
);

/** Values looked at in one static value before the check stops (a definition: it must stay quick). */
const MAX_VISITED = 100_000;

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

/** A plain object, of this realm or another (`vm`): its prototype is an `Object.prototype`, or none. */
function isPlainObject(proto: object | null): boolean {
	return proto === null || Object.getPrototypeOf(proto) === null;
}

function findUncopyable(
	root: unknown,
	rootPath: string,
): { what: string; path: string } | undefined {
	const seen = new Set<object>();
	const pending: [unknown, string][] = [[root, rootPath]];
	let budget = MAX_VISITED;
	const push = (item: unknown, path: () => string) => {
		// Primitives other than functions and symbols need no look (nor a path).
		if (typeof item !== "object" && typeof item !== "function" && typeof item !== "symbol") return;
		if (budget-- > 0) pending.push([item, path()]);
	};
	while (pending.length > 0) {
		const [value, path] = pending.pop() as [unknown, string];
		if (typeof value === "function") return { what: "a function", path };
		if (typeof value === "symbol") return { what: "a symbol", path };
		if (typeof value !== "object" || value === null || seen.has(value)) continue;
		seen.add(value);
		const proto = Object.getPrototypeOf(value) as object | null;
		if (ArrayBuffer.isView(value) || CLONED_PROTOTYPES.has(proto)) continue;
		if (value instanceof Map && proto === Map.prototype) {
			let i = 0;
			for (const [key, item] of value) {
				const at = i++;
				push(key, () => `${path} (a Map's key ${at})`);
				push(item, () => `${path}.get(${at})`);
			}
			continue;
		}
		if (value instanceof Set && proto === Set.prototype) {
			let i = 0;
			for (const item of value) {
				const at = i++;
				push(item, () => `${path} (a Set's item ${at})`);
			}
			continue;
		}
		const array = Array.isArray(value);
		if (!array && !isPlainObject(proto)) {
			const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
			return {
				what:
					typeof name === "string" && name !== "" ? `an instance of ${name}` : "a class instance",
				path,
			};
		}
		for (const key of Object.keys(value))
			push((value as Record<string, unknown>)[key], () =>
				array ? `${path}[${key}]` : `${path}.${key}`,
			);
	}
	return undefined;
}
