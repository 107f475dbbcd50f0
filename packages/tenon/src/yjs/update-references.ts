import * as Y from "yjs";
import { invalid } from "./parts.js";

/**
 * Steps of the document's lists {@link checkReferences} may walk for one
 * update to check that each item's right origin lies right of its origin.
 * Past them, the order of the rest is not checked (their origins still are).
 */
export const ORDER_CHECK_STEPS = 10_000;

/**
 * Refuses an update whose items name neighbours no Yjs client could have
 * named, before any of it is applied. Yjs trusts an item's origins: a
 * client names the items left and right of where it inserted, which existed
 * then. An attacker's item whose origin is itself or a later change of its
 * own client made Yjs throw midway through the update (what it had placed
 * before stayed, was stored and passed on, while the sender was told it was
 * refused); one whose origins are the same item, items of two different
 * lists, or a right origin left of its origin was placed differently in
 * memory than in a document loaded from storage, so a restart changed the
 * text everyone saw (a fuzzer, 2026-11-27). The checks, for each item:
 * - its origin, right origin and parent (when it names one) are earlier
 *   changes than its own where they are of its own client;
 * - its origin and right origin are not the same change;
 * - where both are in the document already: they are in the same list (or
 *   the same map entry), and the right one lies right of the other (within
 *   {@link ORDER_CHECK_STEPS} for the whole update).
 * Origins among the update's own items are not followed further: the copy on
 * the worker (apply-verifier.ts) catches a throw for updates that take it,
 * and collaboration.md says what may remain.
 */
export function checkReferences(doc: Y.Doc, structs: readonly (Y.Item | Y.GC | Y.Skip)[]): void {
	const store = doc.store;
	let steps = ORDER_CHECK_STEPS;
	for (const struct of structs) {
		if (!(struct instanceof Y.Item)) continue;
		const { id, origin, rightOrigin, parent } = struct;
		if (
			laterOfOwnClient(id, origin) ||
			laterOfOwnClient(id, rightOrigin) ||
			(parent instanceof Y.ID && laterOfOwnClient(id, parent))
		)
			throw invalid("an item that names a later change of its own client as its neighbour");
		if (origin === null || rightOrigin === null) continue;
		if (Y.compareIDs(origin, rightOrigin))
			throw invalid("an item whose left and right neighbours are the same");
		if (!inDocument(store, origin) || !inDocument(store, rightOrigin)) continue;
		const left = Y.getItem(store, origin);
		const right = Y.getItem(store, rightOrigin);
		// Collected (deleted, and its content dropped): Yjs places such an item in no list.
		if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) continue;
		if (left.parent !== right.parent || left.parentSub !== right.parentSub)
			throw invalid("an item whose neighbours are in different lists");
		if (left === right) {
			// Both inside one stored item (a run of characters): the right one later in it.
			if (rightOrigin.clock <= origin.clock)
				throw invalid("an item whose right neighbour is left of its left one");
			continue;
		}
		if (left.parentSub !== null || steps <= 0) continue;
		let next = left.right;
		while (next !== null && next !== right && steps > 0) {
			next = next.right;
			steps--;
		}
		if (next === null) throw invalid("an item whose right neighbour is left of its left one");
	}
}

/** True when `reference` is a change of `id`'s own client at or after it. */
function laterOfOwnClient(id: Y.ID, reference: Y.ID | null): boolean {
	return reference !== null && reference.client === id.client && reference.clock >= id.clock;
}

function inDocument(store: Y.Doc["store"], id: Y.ID): boolean {
	return id.clock < Y.getState(store, id.client);
}
