import * as Y from "yjs";

// What a connection that may only read sends as its answer to the server's
// step 1: an update of no structs and the whole delete set of its copy (Yjs
// appends a document's delete set to every update it encodes, whatever
// state vector it is given). An honest reader's holds only deletions the
// document has made already. Refused as an edit before 2026-11-27, it would
// make the provider's `onRefused` fire on every sync of a reader (a review).

/** A document's deleted ranges by client (sorted, merged), kept for the version they were read at. */
const deletedByVersion = new WeakMap<
	Y.Doc,
	{ version: number; ranges: Map<number, { clock: number; len: number }[]> }
>();

/**
 * True when `update` changes nothing in `doc`: no structs (its first number,
 * the count of clients with structs, is 0), and only deletions `doc` has
 * made. `version` names the document's state (the deletions are read once
 * per version: encoding a step 1's answer costs as much).
 */
export function changesNothing(doc: Y.Doc, version: number, update: Uint8Array): boolean {
	if (update[0] !== 0) return false;
	let deletions: Map<number, { clock: number; len: number }[]>;
	try {
		const decoded = Y.decodeUpdate(update);
		if (decoded.structs.length > 0) return false;
		deletions = decoded.ds.clients;
	} catch {
		return false;
	}
	if (deletions.size === 0) return true;
	const made = deletedRanges(doc, version);
	for (const [client, wanted] of deletions) {
		const ranges = made.get(client);
		if (ranges === undefined) return false;
		for (const { clock, len } of wanted) if (!covers(ranges, clock, clock + len)) return false;
	}
	return true;
}

function deletedRanges(doc: Y.Doc, version: number) {
	const known = deletedByVersion.get(doc);
	if (known !== undefined && known.version === version) return known.ranges;
	const ranges = Y.createDeleteSetFromStructStore(doc.store).clients;
	deletedByVersion.set(doc, { version, ranges });
	return ranges;
}

/** True when one of `ranges` (sorted by clock, adjacent ones merged) holds all of [from, to). */
function covers(
	ranges: readonly { clock: number; len: number }[],
	from: number,
	to: number,
): boolean {
	let low = 0;
	let high = ranges.length - 1;
	while (low <= high) {
		const middle = (low + high) >> 1;
		const range = ranges[middle] as { clock: number; len: number };
		if (range.clock + range.len <= from) low = middle + 1;
		else if (range.clock > from) high = middle - 1;
		else return to <= range.clock + range.len;
	}
	return to <= from;
}
