import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { ActorError } from "../protocol/errors.js";
import { invalid } from "./parts.js";
import { conflictVisits, deletedItems, extraWeight, growthBound } from "./update-cost.js";
import { checkReferences } from "./update-references.js";
import { readUpdateParts, type UpdateParts } from "./update-values.js";

/**
 * Embedded values that weigh as much as an item in the budget's estimates
 * (decoded twice at 30 to 230 ns each, where an item costs about a microsecond).
 */
const VALUES_PER_ITEM = 4;

/** Most clients one update may carry changes of (see {@link readUpdateShape}). */
export const MAX_UPDATE_CLIENTS = 16;

/** What {@link readUpdateShape} learns of an update from its bytes alone. */
export interface UpdateShape {
	/** Its structs and deleted ranges, counted. */
	readonly parts: number;
	/** The items its embedded values weigh as in the budget's estimates. */
	readonly valueItems: number;
	/** The most it may add to the document (see {@link growthBound}). */
	readonly growth: number;
	/** Its groups of structs: client, first clock, most end clock (see {@link UpdateParts.writes}). */
	readonly writes: readonly number[];
	/** The kinds of content its items hold (see {@link UpdateParts.contentKinds}). */
	readonly contentKinds: number;
}

/**
 * Reads an update before anything of it is built, and refuses shapes an
 * attacker probe used to stall or exhaust the server (2026-11-24): changes
 * of thousands of clients inserting at the same places (Yjs resolves such
 * conflicts in time that grows with their product: 143 KB blocked the event
 * loop for 3.4 s), too many embedded values (update-values.ts), and
 * subdocuments (12 bytes each on the wire, about 2 KB each in memory). The
 * client count is the update's first number; the rest is counted from its
 * bytes, at a tenth of what Yjs's decoding costs.
 */
export function readUpdateShape(update: Uint8Array): UpdateShape {
	const parts = readUpdateParts(update);
	let clients: number;
	try {
		clients = decoding.readVarUint(decoding.createDecoder(update));
	} catch {
		throw invalid("a malformed update");
	}
	if (clients > MAX_UPDATE_CLIENTS)
		throw new ActorError(
			"limit",
			"yjs_update_too_complex",
			`An update may carry changes of at most ${MAX_UPDATE_CLIENTS} clients`,
			{ limit: MAX_UPDATE_CLIENTS },
		);
	if (parts.subdocuments > 0) throw invalid("subdocuments are not accepted");
	return {
		parts: parts.structs + parts.ranges,
		valueItems: Math.ceil(parts.values / VALUES_PER_ITEM),
		growth: growthBound(update, parts.structs, parts.ranges),
		writes: parts.writes,
		contentKinds: parts.contentKinds,
	};
}

/**
 * An update of this many structs and deleted ranges or more is checked on a
 * copy without being decoded on the loop first (see {@link estimateUpdate}):
 * decoding it and estimating its cost took 2 to 10 ms per thousand (an
 * attacker's 40,000 map values blocked the loop 190 to 320 ms that way
 * before the copy refused them, 2026-11-25), and an update that large is
 * checked on the copy anyway. Below it, the estimates may refuse an update
 * without the copy's time.
 */
export const COPY_ONLY_PARTS = 10_000;

/** What applying an update is estimated to cost (apply-budget.ts). */
export interface UpdateCost {
	/** Items it weighs as: its structs, values, the items its ranges delete, and more (update-cost.ts). */
	readonly items: number;
	/** Items of the document its inserts make Yjs scan. */
	readonly visits: number;
	/** False: `items` is a least count (the update was not decoded), not one to learn the cost per item from. */
	readonly estimated: boolean;
}

/**
 * The cost of applying an update whose shape {@link readUpdateShape} read,
 * to `doc`: decoded, its items' origins checked (update-references.ts) and
 * estimated (update-cost.ts), or, for one of
 * {@link COPY_ONLY_PARTS} or more when it can be tried on a copy
 * (`copyAvailable`), its least count from its shape alone.
 */
export function estimateUpdate(
	doc: Y.Doc,
	update: Uint8Array,
	shape: UpdateShape,
	copyAvailable: boolean,
): UpdateCost {
	if (shape.parts >= COPY_ONLY_PARTS && copyAvailable)
		return { items: shape.parts + shape.valueItems, visits: 0, estimated: false };
	let decoded: ReturnType<typeof Y.decodeUpdate>;
	try {
		decoded = Y.decodeUpdate(update);
	} catch {
		throw invalid("a malformed update");
	}
	const { structs, ds } = decoded;
	checkReferences(doc, structs);
	const items =
		structs.length + shape.valueItems + deletedItems(doc, ds) + extraWeight(doc, structs, ds);
	return { items, visits: conflictVisits(doc, structs), estimated: true };
}
