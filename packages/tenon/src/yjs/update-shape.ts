import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { ActorError } from "../protocol/errors.js";
import { invalid } from "./parts.js";
import { growthBound } from "./update-cost.js";
import { countUpdateValues } from "./update-values.js";

/**
 * Embedded values that weigh as much as an item in the budget's estimates
 * (decoded twice at 30 to 230 ns each, where an item costs about a microsecond).
 */
const VALUES_PER_ITEM = 4;

/** Most clients one update may carry changes of (see {@link checkUpdateShape}). */
export const MAX_UPDATE_CLIENTS = 16;

/**
 * Parses an update before it touches the document, and refuses shapes an
 * attacker probe used to stall or exhaust the server (2026-11-24): changes
 * of thousands of clients inserting at the same places (Yjs resolves such
 * conflicts in time that grows with their product: 143 KB blocked the event
 * loop for 3.4 s), and subdocuments (12 bytes each on the wire, about 2 KB
 * each in memory). The client count is the update's first number, read
 * before anything is decoded, and so are its embedded values (counted from
 * its bytes: decoding is what an update of many values makes slow). Returns
 * the update's structs and deleted ranges, the items its values weigh as
 * (`valueItems`), by which its cost is estimated (apply-budget.ts), and the
 * most it may add to the document (`growth`, see {@link growthBound}).
 */
export function checkUpdateShape(update: Uint8Array): {
	structs: Structs;
	deleted: ReturnType<typeof Y.decodeUpdate>["ds"];
	valueItems: number;
	growth: number;
} {
	let decoded: ReturnType<typeof Y.decodeUpdate>;
	const values = countUpdateValues(update);
	try {
		const clients = decoding.readVarUint(decoding.createDecoder(update));
		if (clients > MAX_UPDATE_CLIENTS)
			throw new ActorError(
				"limit",
				"yjs_update_too_complex",
				`An update may carry changes of at most ${MAX_UPDATE_CLIENTS} clients`,
				{ limit: MAX_UPDATE_CLIENTS },
			);
		decoded = Y.decodeUpdate(update);
	} catch (error) {
		if (error instanceof ActorError) throw error;
		throw invalid("a malformed update");
	}
	for (const struct of decoded.structs)
		if (struct instanceof Y.Item && struct.content instanceof Y.ContentDoc)
			throw invalid("subdocuments are not accepted");
	let ranges = 0;
	for (const list of decoded.ds.clients.values()) ranges += list.length;
	return {
		structs: decoded.structs,
		deleted: decoded.ds,
		valueItems: Math.ceil(values / VALUES_PER_ITEM),
		growth: growthBound(update, decoded.structs.length, ranges),
	};
}

export type Structs = ReturnType<typeof Y.decodeUpdate>["structs"];
