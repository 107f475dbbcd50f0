import * as Y from "yjs";
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
 * - an origin and a right origin, both in the document already, in different
 *   lists (or map entries).
 * Shapes that look as wrong but that Yjs's own undo makes (an origin that is
 * also the right origin, a right origin left of the origin: `redoItem`
 * follows restored items to both) pass, and so do origins among the update's
 * own items; see collaboration.md for what that leaves open. In a fuzzer of
 * hand-built updates (2026-11-27), Yjs threw midway through one in 11 before
 * these checks, and one in 120,000 after them.
 */
export function checkReferences(doc: Y.Doc, structs: readonly (Y.Item | Y.GC | Y.Skip)[]): void {
	const store = doc.store;
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
		if (!inDocument(store, origin) || !inDocument(store, rightOrigin)) continue;
		const left = Y.getItem(store, origin);
		const right = Y.getItem(store, rightOrigin);
		// Collected (deleted, and its content dropped): Yjs places such an item in no list.
		if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) continue;
		if (left.parent !== right.parent || left.parentSub !== right.parentSub)
			throw invalid("an item whose neighbours are in different lists");
	}
}

/** True when `reference` is a change of `id`'s own client at or after it. */
function laterOfOwnClient(id: Y.ID, reference: Y.ID | null): boolean {
	return reference !== null && reference.client === id.client && reference.clock >= id.clock;
}

function inDocument(store: Y.Doc["store"], id: Y.ID): boolean {
	return id.clock < Y.getState(store, id.client);
}
