import * as Y from "yjs";
import { holdingClock } from "./clock-ranges.js";

/**
 * How much work Yjs would do to merge an update into a document, estimated
 * before it is applied, from the update's structure and the document's.
 *
 * Yjs places a new item after its origin (the item to its left when it was
 * typed). When something else already sits there (another client typed at
 * the same place), it scans the items after the origin that were typed at
 * the same place, or after one of those, to find where the new item goes
 * (`Item.integrate`'s conflict loop: two set insertions per item visited,
 * about 100 ns here). An honest edit scans a few. An attacker who sends
 * thousands of inserts of new clients at one place makes every later insert
 * there scan all of them: 4,500 such inserts on top of 4,500 earlier ones
 * visit 20 million items (1.7 to 2 s of blocked event loop), where the first
 * 4,500 took 30 ms. The learnt cost per item (apply-budget.ts) only knows
 * that after the fact, so a new document paid one such stall each.
 *
 * This counts, for every new item that will need the scan (its neighbours
 * in the document changed since it was typed), the items of the document
 * the scan may visit: those after its origin that were typed there or after
 * one of them, up to its right neighbour (walked once per origin and right
 * neighbour, as Yjs walks them, and remembered). An insert placed next to
 * another insert of the update reaches no further than that one did. Yjs's
 * scan can stop sooner, never later, so this is an upper bound of its scans
 * over the document's items (a property test checks it against Yjs). Its
 * scans over the update's own inserts are not counted: the update's clients
 * (at most 16) typing at one place, which the learnt cost per item covers.
 *
 * Read-only: items are looked up, never split or moved. No maintained
 * library estimates this; Yjs exposes the structures it reads (`getItem`,
 * `getState`, a type's `_start` and `_map`).
 */

/** Most items the walks of one estimate visit; past it, every further scan is assumed that long. */
export const WALK_LIMIT = 100_000;

type Struct = ReturnType<typeof Y.decodeUpdate>["structs"][number];
type DeleteSet = ReturnType<typeof Y.decodeUpdate>["ds"];
type SharedType = Y.AbstractType<unknown>;

/** The item of `doc` holding `id`, or undefined when the document lacks it (or holds it as GC). */
function itemAt(store: Y.Doc["store"], id: Y.ID): Y.Item | undefined {
	if (id.clock >= Y.getState(store, id.client)) return undefined;
	const struct = Y.getItem(store, id);
	return struct instanceof Y.Item ? struct : undefined;
}

function sameId(a: Y.ID | null, b: Y.ID | null): boolean {
	return a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock);
}

function idKey(id: Y.ID): string {
	return `${id.client}:${id.clock}`;
}

/** The type an item of the update goes into, when it is in the document already (no origin in it). */
function parentOf(doc: Y.Doc, struct: Y.Item): SharedType | undefined {
	const parent = struct.parent as unknown;
	if (typeof parent === "string") return doc.share.get(parent) as SharedType | undefined;
	if (parent instanceof Y.ID) {
		const item = itemAt(doc.store, parent);
		return item?.content instanceof Y.ContentType ? (item.content.type as SharedType) : undefined;
	}
	return undefined;
}

/** True when `item` holds `id`. */
function holds(item: Y.Item, id: Y.ID): boolean {
	return (
		item.id.client === id.client &&
		id.clock >= item.id.clock &&
		id.clock < item.id.clock + item.length
	);
}

/**
 * Counts the items a conflict scan starting at `start`, for an insert after
 * `origin`, may visit: while they were typed after `origin` or after an item
 * visited before (the two cases of Yjs's loop that go on), up to the item
 * holding `right` (the insert's right neighbour when it was typed, where the
 * scan ends), at most `limit`.
 */
function walkConflicts(
	store: Y.Doc["store"],
	start: Y.Item | null,
	origin: Y.ID | null,
	right: Y.ID | null,
	limit: number,
): number {
	const visited = new Set<Y.Item>();
	let count = 0;
	for (let o = start; o !== null && count < limit; o = o.right) {
		// Yjs splits that item at `right`: the part before it is visited.
		if (right !== null && holds(o, right)) return count + (right.clock > o.id.clock ? 1 : 0);
		if (!sameId(o.origin, origin)) {
			const before = o.origin === null ? undefined : itemAt(store, o.origin);
			if (before === undefined || !visited.has(before)) break;
		}
		visited.add(o);
		count++;
	}
	return count;
}

/** What the estimate predicts for an item of the update, for the items typed next to it. */
interface NewItem {
	clock: number;
	end: number;
	parent: SharedType | undefined;
	sub: string | null;
	rightOrigin: Y.ID | null;
	/** Placed where it was typed, with no scan. */
	clean: boolean;
	/** Where the scans that may pass it start (its origin's key, or its list's start), if known. */
	scanKey: string | undefined;
	/** At most how many of the document's items a scan from there visits before reaching it. */
	reach: number;
}

/** The update's items so far, by client, in clock order (the order Yjs reads them in). */
class NewItems {
	readonly #byClient = new Map<number, NewItem[]>();

	add(item: NewItem, client: number): void {
		const list = this.#byClient.get(client);
		if (list === undefined) this.#byClient.set(client, [item]);
		else list.push(item);
	}

	/** The item holding `id`, when the update has it. */
	at(id: Y.ID): NewItem | undefined {
		const list = this.#byClient.get(id.client);
		if (list === undefined) return undefined;
		return holdingClock(
			list,
			id.clock,
			(item) => item.clock,
			(item) => item.end,
		);
	}
}

/**
 * An upper bound of the document's items Yjs's conflict resolution visits
 * to merge `structs` (a decoded update) into `doc` (see the module's comment).
 */
export function conflictVisits(doc: Y.Doc, structs: readonly Struct[]): number {
	const store = doc.store;
	const added = new NewItems();
	/** Root types' names, looked up once (a document may have thousands). */
	let roots: Map<SharedType, string> | undefined;
	const typeKey = (type: SharedType): string => {
		if (type._item !== null) return idKey(type._item.id);
		roots ??= new Map([...doc.share].map(([name, shared]) => [shared as SharedType, name]));
		return `root:${roots.get(type) ?? "?"}`;
	};
	/** Walks done, by start and end (each once). */
	const walks = new Map<string, number>();
	let walked = 0;
	let visits = 0;
	/**
	 * Items a scan from `scanKey` to `right` may visit: walked once, or, when
	 * `right` is an insert of this update placed after a scan from the same
	 * start, at most what reaching it took.
	 */
	const scan = (
		item: NewItem,
		scanKey: string,
		start: (limit: number) => { first: Y.Item | null; origin: Y.ID | null; skipped: number },
		right: Y.ID | null,
	): void => {
		const earlier = right === null ? undefined : added.at(right);
		let count: number;
		if (earlier !== undefined && earlier.scanKey === scanKey) count = earlier.reach;
		else {
			const end = right === null || earlier !== undefined ? "end" : idKey(right);
			const key = `${scanKey}>${end}`;
			const known = walks.get(key);
			if (known !== undefined) count = known;
			else {
				const left = WALK_LIMIT - walked;
				if (left <= 0) count = WALK_LIMIT;
				else {
					// The budget is checked first: a start may walk a map key's history.
					const from = start(left);
					count =
						from.skipped +
						walkConflicts(
							store,
							from.first,
							from.origin,
							end === "end" ? null : right,
							left - from.skipped,
						);
				}
				walked += count;
				// A walk cut short counts as the longest any walk may be.
				if (walked >= WALK_LIMIT) count = WALK_LIMIT;
				walks.set(key, count);
			}
		}
		item.scanKey = scanKey;
		item.reach = count;
		visits += count;
	};
	for (const struct of structs) {
		if (!(struct instanceof Y.Item)) continue;
		const known = Y.getState(store, struct.id.client);
		// Already in the document in whole.
		if (struct.id.clock + struct.length <= known) continue;
		// In part: Yjs places the rest after the part it has.
		const origin =
			struct.id.clock < known ? Y.createID(struct.id.client, known - 1) : struct.origin;
		const { rightOrigin } = struct;
		const item: NewItem = {
			clock: Math.max(struct.id.clock, known),
			end: struct.id.clock + struct.length,
			parent: undefined,
			sub: struct.parentSub,
			rightOrigin,
			clean: false,
			scanKey: undefined,
			reach: 0,
		};
		added.add(item, struct.id.client);
		if (origin !== null) {
			const left = itemAt(store, origin);
			if (left !== undefined) {
				item.parent = (left.parent as SharedType | null) ?? undefined;
				item.sub = left.parentSub;
				const atEnd = origin.clock === left.id.clock + left.length - 1;
				// Its neighbour when it was typed is still there: no scan.
				const rightNow = atEnd
					? (left.right?.id ?? null)
					: Y.createID(origin.client, origin.clock + 1);
				item.scanKey = idKey(origin);
				if (sameId(rightNow, rightOrigin)) item.clean = true;
				// A scan starts after the origin: the rest of its item (typed right after it), then what follows.
				else
					scan(
						item,
						idKey(origin),
						() =>
							atEnd
								? { first: left.right, origin, skipped: 0 }
								: { first: left.right, origin: left.lastId, skipped: 1 },
						rightOrigin,
					);
				continue;
			}
			const earlier = added.at(origin);
			if (earlier === undefined) continue; // Depends on what neither has: dropped (document.ts).
			// Typed after an insert of this update: placed there when that one was, and
			// nothing of the document is known to sit between them.
			item.parent = earlier.parent;
			item.sub = earlier.sub;
			const inside = origin.clock < earlier.end - 1;
			item.clean =
				earlier.clean &&
				(inside
					? sameId(rightOrigin, Y.createID(origin.client, origin.clock + 1))
					: sameId(rightOrigin, earlier.rightOrigin));
			continue;
		}
		// Typed at the start of a list, or as a map key's first value.
		const right = rightOrigin === null ? undefined : itemAt(store, rightOrigin);
		const earlier = rightOrigin === null || right !== undefined ? undefined : added.at(rightOrigin);
		if (right !== undefined) {
			item.parent = (right.parent as SharedType | null) ?? undefined;
			item.sub = right.parentSub;
			item.clean = right.left === null && rightOrigin?.clock === right.id.clock;
		} else if (earlier !== undefined) {
			item.parent = earlier.parent;
			item.sub = earlier.sub;
			item.clean =
				earlier.clean && earlier.reach === 0 && earlier.scanKey?.startsWith("start:") === true;
		} else if (rightOrigin === null) {
			item.parent = parentOf(doc, struct);
			const parent = item.parent;
			item.clean =
				parent === undefined ||
				(item.sub === null ? parent._start === null : !parent._map.has(item.sub));
		} else continue; // Depends on what neither has: dropped (document.ts).
		const parent = item.parent;
		if (parent === undefined) continue;
		const sub = item.sub;
		const scanKey = `start:${typeKey(parent)}/${sub ?? ""}`;
		item.scanKey = scanKey;
		if (item.clean) continue;
		scan(
			item,
			scanKey,
			(limit) => {
				let first: Y.Item | null = sub === null ? parent._start : (parent._map.get(sub) ?? null);
				let history = 0;
				// A map key's earlier values are walked first (Yjs walks them too).
				while (sub !== null && first?.left != null && history < limit) {
					first = first.left;
					history++;
				}
				return { first, origin: null, skipped: history };
			},
			rightOrigin,
		);
	}
	return visits;
}

/**
 * The document's items the deleted ranges cover (each range at least one):
 * one range can delete a million items, each of which Yjs visits (an
 * attacker probe: 14 bytes blocked the loop for 0.76 s, counted as one item).
 */
export function deletedItems(doc: Y.Doc, deleted: DeleteSet): number {
	let count = 0;
	for (const [client, ranges] of deleted.clients) {
		const structs = doc.store.clients.get(client);
		const state = Y.getState(doc.store, client);
		for (const { clock, len } of ranges) {
			const end = Math.min(clock + len, state) - 1;
			count +=
				structs === undefined || clock > end
					? 1
					: Y.findIndexSS(structs, end) - Y.findIndexSS(structs, clock) + 1;
		}
	}
	return count;
}

/**
 * At most how many bytes an update can add to the document, encoded: its
 * own, and the items it splits (an insert in the middle of an item, each
 * end of a deleted range; an attacker probe grew a 20 KB document to 225 KB
 * with a 31 KB update of deletions). A split adds one item's header.
 */
export const SPLIT_BYTES = 32;
export function growthBound(update: Uint8Array, structs: number, ranges: number): number {
	return update.byteLength + 2 * SPLIT_BYTES * (structs + ranges);
}

/** JSON values weighing one item (1M values decode and apply in about 37 ms here). */
const VALUES_PER_ITEM = 64;

/** Items a weight walk looks at, at most: past it, the update is costly anyway. */
const WEIGHT_WALK_LIMIT = 20_000;

/**
 * Items of work an update's items stand for beyond one each, where Yjs does
 * more than its count says (an attacker probe, 2026-11-25, each blocking the
 * loop 0.3 to 1.6 s with one to three items):
 * - a value holding many JSON values (one item of two million empty arrays);
 * - a format mark in a text of a nested type, whose cleanup walks the whole
 *   text (in root types Yjs does not format);
 * - a deleted or replaced nested type, whose whole subtree is deleted and
 *   collected (a map key set over an array of a million items).
 * Counted up to {@link WEIGHT_WALK_LIMIT}.
 */
export function extraWeight(doc: Y.Doc, structs: readonly Struct[], deleted: DeleteSet): number {
	const store = doc.store;
	let weight = 0;
	const budget = { left: WEIGHT_WALK_LIMIT };
	for (const struct of structs) {
		if (!(struct instanceof Y.Item) || weight >= WEIGHT_WALK_LIMIT) continue;
		const content = struct.content;
		// A value costs a fiftieth of an item or so to decode and apply.
		if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON)
			weight += Math.floor(content.getLength() / VALUES_PER_ITEM);
		const near =
			(struct.origin === null ? undefined : itemAt(store, struct.origin)) ??
			(struct.rightOrigin === null ? undefined : itemAt(store, struct.rightOrigin));
		// Without neighbours in the document (a client that never saw the key), its stated parent.
		const parent = (near?.parent as SharedType | null | undefined) ?? parentOf(doc, struct);
		if (
			content instanceof Y.ContentFormat &&
			(parent instanceof Y.Text || parent instanceof Y.XmlText)
		)
			weight += Math.floor(parent._length / 100);
		// A map value set over one that holds a nested type deletes its subtree.
		const sub = near?.parentSub ?? struct.parentSub;
		if (sub !== null && parent) {
			const current = parent._map.get(sub);
			if (current?.content instanceof Y.ContentType && !current.deleted)
				weight += subtreeItems(current.content.type as SharedType, budget);
		}
	}
	for (const [client, ranges] of deleted.clients) {
		const structsOf = store.clients.get(client);
		if (structsOf === undefined) continue;
		const state = Y.getState(store, client);
		for (const { clock, len } of ranges) {
			const end = Math.min(clock + len, state) - 1;
			if (clock > end) continue;
			for (let i = Y.findIndexSS(structsOf, clock); i < structsOf.length && budget.left > 0; i++) {
				const covered = structsOf[i] as Y.Item | Y.GC;
				if (covered.id.clock > end) break;
				budget.left--;
				if (
					covered instanceof Y.Item &&
					covered.content instanceof Y.ContentType &&
					!covered.deleted
				)
					weight += subtreeItems(covered.content.type as SharedType, budget);
			}
		}
	}
	return Math.min(weight, WEIGHT_WALK_LIMIT);
}

/** Items in `type` and the types nested in it, counted against `budget`. */
function subtreeItems(type: SharedType, budget: { left: number }): number {
	let count = 0;
	const stack: SharedType[] = [type];
	while (stack.length > 0 && budget.left > 0) {
		const next = stack.pop() as SharedType;
		const visit = (item: Y.Item | null, leftwards: boolean) => {
			for (let at = item; at !== null && budget.left > 0; at = leftwards ? at.left : at.right) {
				count++;
				budget.left--;
				if (at.content instanceof Y.ContentType) stack.push(at.content.type as SharedType);
			}
		};
		visit(next._start, false);
		for (const value of next._map.values()) visit(value, true);
	}
	return budget.left > 0 ? count : WEIGHT_WALK_LIMIT;
}
