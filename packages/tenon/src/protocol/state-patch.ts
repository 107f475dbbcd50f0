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

/**
 * Path elements a patch may hold beyond one per node of the value visited.
 * Past that, the patch is one op that sets the whole value: a snapshot in a
 * patch's clothes, never much larger than the value itself.
 */
const PATCH_PATH_SLACK = 4_096;

/** A diff being made: its ops, the path where it is (one array, pushed and popped), its cost. */
interface Diff {
	readonly ops: PatchOp[];
	readonly path: PatchPath;
	/** Path elements the ops hold so far, less one per node visited. */
	excess: number;
}

/** Thrown (and caught in diffValues) when a patch would outgrow its value. */
const TOO_COSTLY = Symbol("patch too costly");

/**
 * The changes that turn `before` into `after` (empty when they are the same).
 * Each op carries its whole path, so a change at depth d of n items made n
 * ops of d elements: 20,001 ops of 502 for an item put in front of a 20,000-
 * item array 500 levels deep, a 20 MB patch of a 61 KB value that took the
 * loop 1 s to make and encode at each commit (an attacker probe, with a
 * value that a client stored). When the paths outgrow the value, the patch
 * sets the whole value instead. Paths are also not copied for every node
 * visited, only for the ops (the copies alone took 177 ms to find no change
 * in such a value).
 */
export function diffValues(before: unknown, after: unknown): PatchOp[] {
	const diff: Diff = { ops: [], path: [], excess: -PATCH_PATH_SLACK };
	try {
		diffInto(before, after, diff);
	} catch (error) {
		if (error !== TOO_COSTLY) throw error;
		return [{ op: "s", path: [], value: after }];
	}
	return diff.ops;
}

/**
 * What a node of the value counts for against the patch's paths: 1, plus its
 * size in 16-byte units for what one node holds (a string, bytes, a Map or
 * Set). Counted as one each, a 1 MB string beside 5,000 small changes made
 * the patch "outgrow" the value and sent 1 MB instead of 260 KB (a review).
 */
function weightOf(value: unknown): number {
	if (typeof value === "string") return 1 + (value.length >>> 4);
	if (value instanceof Uint8Array) return 1 + (value.byteLength >>> 4);
	if (value instanceof Map || value instanceof Set) return 1 + value.size;
	return 1;
}

/** Adds `op` (its path copied from where the diff is, plus `key` if given). */
function emit(diff: Diff, op: PatchOp): void {
	diff.excess += op.path.length + 1;
	if (diff.excess > 0) throw TOO_COSTLY;
	diff.ops.push(op);
}

function at(diff: Diff, key?: string | number): PatchPath {
	return key === undefined ? diff.path.slice() : [...diff.path, key];
}

function diffInto(before: unknown, after: unknown, diff: Diff): void {
	diff.excess -= weightOf(after);
	if (Object.is(before, after) && (typeof after !== "object" || after === null)) return;
	const path = diff.path;
	if (isPlainObject(before) && isPlainObject(after)) {
		for (const key of Object.keys(before))
			if (!Object.hasOwn(after, key)) emit(diff, { op: "d", path: at(diff, key) });
		for (const key of Object.keys(after)) {
			if (!Object.hasOwn(before, key))
				emit(diff, { op: "s", path: at(diff, key), value: after[key] });
			else {
				path.push(key);
				diffInto(before[key], after[key], diff);
				path.pop();
			}
		}
		return;
	}
	if (Array.isArray(before) && Array.isArray(after)) {
		const common = Math.min(before.length, after.length);
		for (let i = 0; i < common; i++) {
			path.push(i);
			diffInto(before[i], after[i], diff);
			path.pop();
		}
		if (after.length > before.length)
			emit(diff, { op: "a", path: at(diff), items: after.slice(common) });
		else if (after.length < before.length)
			emit(diff, { op: "t", path: at(diff), length: after.length });
		return;
	}
	if (!sameValue(before, after)) emit(diff, { op: "s", path: at(diff), value: after });
}

/**
 * Applies `ops` to `value` without changing it: what a path leads through is
 * copied, the rest is shared (so UI frameworks see exactly what changed).
 * Throws on a patch that does not fit the value (the caller resynchronizes).
 */
export function applyPatch(value: unknown, ops: readonly PatchOp[]): unknown {
	// The copies this patch made: later ops change them in place. Copied again for every
	// op, a patch of n ops into an array of n items cost n² (an item put in front of a
	// 20,000-item array is 20,001 ops, which took each subscriber 4.5 s: an attacker probe).
	const copies = new WeakSet<object>();
	let root = value;
	for (const op of ops) root = applyOne(root, op, 0, copies);
	return root;
}

function applyOne(node: unknown, op: PatchOp, depth: number, copies: WeakSet<object>): unknown {
	if (depth === op.path.length) {
		switch (op.op) {
			case "s":
				return op.value;
			case "a": {
				if (!Array.isArray(node)) throw new TypeError("patch: append to a non-array");
				if (!copies.has(node)) return own(copies, [...node, ...op.items]);
				for (const item of op.items) node.push(item);
				return node;
			}
			case "t":
				if (!Array.isArray(node)) throw new TypeError("patch: truncate of a non-array");
				if (!copies.has(node)) return own(copies, node.slice(0, op.length));
				node.length = Math.min(node.length, op.length);
				return node;
			case "d":
				throw new TypeError("patch: delete of the root");
		}
	}
	const step = op.path[depth] as string | number;
	if (Array.isArray(node) && typeof step === "number") {
		if (step < 0 || step >= node.length) throw new TypeError("patch: index out of range");
		const copy = copies.has(node) ? node : own(copies, node.slice());
		copy[step] = applyOne(node[step], op, depth + 1, copies);
		return copy;
	}
	if (isPlainObject(node) && typeof step === "string") {
		const owned = copies.has(node);
		// Own keys only: a patch never reaches a prototype (`__proto__` stays a plain key).
		const copy: Record<string, unknown> = owned ? node : Object.assign(Object.create(null), node);
		if (op.op === "d" && depth === op.path.length - 1) delete copy[step];
		else {
			const child = Object.hasOwn(node, step) ? node[step] : undefined;
			Object.defineProperty(copy, step, {
				value: applyOne(child, op, depth + 1, copies),
				enumerable: true,
				writable: true,
				configurable: true,
			});
		}
		return owned ? copy : own(copies, Object.setPrototypeOf(copy, Object.getPrototypeOf(node)));
	}
	throw new TypeError("patch: path does not fit the value");
}

/** Marks `copy` as made by the patch being applied (it may be changed in place). */
function own<T extends object>(copies: WeakSet<object>, copy: T): T {
	copies.add(copy);
	return copy;
}
