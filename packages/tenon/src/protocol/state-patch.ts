// Compact patches between two versions of a synced value (an actor's shared
// state, or a connection's projection of it). Written here rather than taken
// from a JSON Patch library: synced values hold what actor state may hold
// (Map, Set, Date, bigint, typed arrays), which JSON Patch cannot express,
// and the patches travel in the connection's own encoding (CBOR, BARE, JSON).
// Plain objects and arrays are diffed member by member; anything else is
// replaced whole when it differs.

/** A path into a value: object keys and array indexes. */
export type PatchPath = (string | number)[];

/**
 * One change: `s` sets the value at a path, `d` deletes an object key,
 * `a` appends items to an array, `t` truncates an array to a length.
 */
export type PatchOp =
	| { op: "s"; path: PatchPath; value: unknown }
	| { op: "d"; path: PatchPath }
	| { op: "a"; path: PatchPath; items: unknown[] }
	| { op: "t"; path: PatchPath; length: number };

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== "object" || value === null) return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/** Deep equality for the values synced state may hold. */
export function sameValue(a: unknown, b: unknown): boolean {
	if (Object.is(a, b)) return true;
	if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
	if (Array.isArray(a)) {
		if (!Array.isArray(b) || a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
		return true;
	}
	if (isPlainObject(a)) {
		if (!isPlainObject(b)) return false;
		const keys = Object.keys(a);
		if (keys.length !== Object.keys(b).length) return false;
		for (const key of keys) if (!Object.hasOwn(b, key) || !sameValue(a[key], b[key])) return false;
		return true;
	}
	if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
	if (a instanceof Map) {
		if (!(b instanceof Map) || a.size !== b.size) return false;
		for (const [key, value] of a) if (!b.has(key) || !sameValue(value, b.get(key))) return false;
		return true;
	}
	if (a instanceof Set) {
		if (!(b instanceof Set) || a.size !== b.size) return false;
		for (const value of a) if (!b.has(value)) return false;
		return true;
	}
	if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
		if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
		const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
		const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
		for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
		return true;
	}
	return false;
}

/** The changes that turn `before` into `after` (empty when they are the same). */
export function diffValues(before: unknown, after: unknown): PatchOp[] {
	const ops: PatchOp[] = [];
	diffInto(before, after, [], ops);
	return ops;
}

function diffInto(before: unknown, after: unknown, path: PatchPath, ops: PatchOp[]): void {
	if (Object.is(before, after) && (typeof after !== "object" || after === null)) return;
	if (isPlainObject(before) && isPlainObject(after)) {
		for (const key of Object.keys(before))
			if (!Object.hasOwn(after, key)) ops.push({ op: "d", path: [...path, key] });
		for (const key of Object.keys(after)) {
			if (!Object.hasOwn(before, key))
				ops.push({ op: "s", path: [...path, key], value: after[key] });
			else diffInto(before[key], after[key], [...path, key], ops);
		}
		return;
	}
	if (Array.isArray(before) && Array.isArray(after)) {
		const common = Math.min(before.length, after.length);
		for (let i = 0; i < common; i++) diffInto(before[i], after[i], [...path, i], ops);
		if (after.length > before.length) ops.push({ op: "a", path, items: after.slice(common) });
		else if (after.length < before.length) ops.push({ op: "t", path, length: after.length });
		return;
	}
	if (!sameValue(before, after)) ops.push({ op: "s", path, value: after });
}

/**
 * Applies `ops` to `value` without changing it: what a path leads through is
 * copied, the rest is shared (so UI frameworks see exactly what changed).
 * Throws on a patch that does not fit the value (the caller resynchronizes).
 */
export function applyPatch(value: unknown, ops: readonly PatchOp[]): unknown {
	let root = value;
	for (const op of ops) root = applyOne(root, op, 0);
	return root;
}

function applyOne(node: unknown, op: PatchOp, depth: number): unknown {
	if (depth === op.path.length) {
		switch (op.op) {
			case "s":
				return op.value;
			case "a":
				if (!Array.isArray(node)) throw new TypeError("patch: append to a non-array");
				return [...node, ...op.items];
			case "t":
				if (!Array.isArray(node)) throw new TypeError("patch: truncate of a non-array");
				return node.slice(0, op.length);
			case "d":
				throw new TypeError("patch: delete of the root");
		}
	}
	const step = op.path[depth] as string | number;
	if (Array.isArray(node) && typeof step === "number") {
		if (step < 0 || step >= node.length) throw new TypeError("patch: index out of range");
		const copy = node.slice();
		copy[step] = applyOne(node[step], op, depth + 1);
		return copy;
	}
	if (isPlainObject(node) && typeof step === "string") {
		// Own keys only: a patch never reaches a prototype (`__proto__` stays a plain key).
		const copy: Record<string, unknown> = Object.assign(Object.create(null), node);
		if (op.op === "d" && depth === op.path.length - 1) delete copy[step];
		else {
			const child = Object.hasOwn(node, step) ? node[step] : undefined;
			Object.defineProperty(copy, step, {
				value: applyOne(child, op, depth + 1),
				enumerable: true,
				writable: true,
				configurable: true,
			});
		}
		return Object.setPrototypeOf(copy, Object.getPrototypeOf(node));
	}
	throw new TypeError("patch: path does not fit the value");
}
