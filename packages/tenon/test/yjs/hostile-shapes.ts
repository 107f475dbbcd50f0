// Hand-built Yjs updates of the shapes an attacker probe (2026-11-25) found
// blocking the event loop for 0.5 to 10 s while the server's estimates let
// them through. A Yjs client library never sends these: each item is
// written as the update format allows, with the origins an attacker picks.
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

/** One item of a hand-built update. */
export interface ItemSpec {
	origin?: Y.ID | null;
	right?: Y.ID | null;
	/** A root type's name, or the id of the item holding a nested type (when origin and right are null). */
	parent?: string | Y.ID;
	sub?: string | null;
	content: ConstructorParameters<typeof Y.Item>[7];
}

/** A V1 update of `clients`' items (each from clock 0 on), and deleted ranges `[client, [[clock, len]]]`. */
export function handBuilt(
	clients: { client: number; items: ItemSpec[] }[],
	deleted: [number, [number, number][]][] = [],
): Uint8Array {
	const encoder = new Y.UpdateEncoderV1();
	encoding.writeVarUint(encoder.restEncoder, clients.length);
	for (const { client, items } of [...clients].sort((a, b) => b.client - a.client)) {
		encoding.writeVarUint(encoder.restEncoder, items.length);
		encoder.writeClient(client);
		encoding.writeVarUint(encoder.restEncoder, 0);
		let clock = 0;
		for (const spec of items) {
			const item = new Y.Item(
				Y.createID(client, clock),
				null,
				spec.origin ?? null,
				null,
				spec.right ?? null,
				(spec.parent ?? null) as never,
				spec.sub ?? null,
				spec.content,
			);
			item.write(encoder, 0);
			clock += spec.content.getLength();
		}
	}
	encoding.writeVarUint(encoder.restEncoder, deleted.length);
	for (const [client, ranges] of deleted) {
		encoding.writeVarUint(encoder.restEncoder, client);
		encoding.writeVarUint(encoder.restEncoder, ranges.length);
		for (const [clock, len] of ranges) {
			encoder.writeDsClock(clock);
			encoder.writeDsLen(len);
		}
	}
	return encoder.toUint8Array();
}

/**
 * An update of one map value ("m", key "k") holding `count` empty objects,
 * written byte by byte: building them as objects first would load the
 * test's own loop.
 */
export function manyEmptyObjects(count: number): Uint8Array {
	const encoder = encoding.createEncoder();
	// One client of one struct, from clock 0: client 1.
	for (const n of [1, 1, 1, 0]) encoding.writeVarUint(encoder, n);
	encoding.writeUint8(encoder, 0x28); // an item of any values, with a parent key, no origins
	encoding.writeVarUint(encoder, 1); // its parent is a root type ...
	encoding.writeVarString(encoder, "m"); // ... "m"
	encoding.writeVarString(encoder, "k");
	encoding.writeVarUint(encoder, 1); // one value: an array ...
	encoding.writeUint8(encoder, 117);
	encoding.writeVarUint(encoder, count); // ... of `count` empty objects
	const head = encoding.toUint8Array(encoder);
	const out = new Uint8Array(head.length + 2 * count + 1);
	out.set(head);
	for (let i = 0; i < count; i++) out[head.length + 2 * i] = 118;
	// The objects' key counts are 0, and so is the delete set's client count (last byte).
	return out;
}

const id = Y.createID;
const value = (v: number) => new Y.ContentAny([v]);

/**
 * Each shape: updates to send in order to a new document; the last one is
 * the costly one (seconds to apply here), those before it are cheap.
 */
export const hostileShapes: Record<string, () => Uint8Array[]> = {
	/** Values of one map key with no origin: each walks the key's whole history, twice. */
	"map values with no origin": () => [
		handBuilt([
			{
				client: 1,
				items: Array.from({ length: 40_000 }, (_, i) => ({
					parent: "m",
					sub: "k",
					content: value(i),
				})),
			},
		]),
	],
	/**
	 * Inserts at a list's start whose order a dependency forces: client 2's
	 * first item follows client 1's last, so all of 1 is placed first, then
	 * every insert of 2 scans all of 1's.
	 */
	"inserts in a forced order": () => {
		const n = 4_000;
		const first = Array.from({ length: n }, (_, i) =>
			i === 0 ? { parent: "a", content: value(i) } : { origin: id(1, i - 1), content: value(i) },
		);
		const second: ItemSpec[] = [{ origin: id(1, n - 1), content: value(-1) }];
		for (let j = 0; j < n; j++) second.push({ parent: "a", content: value(j) });
		return [
			handBuilt([
				{ client: 1, items: first },
				{ client: 2, items: second },
			]),
		];
	},
	/** One map value of 1.9 million empty objects: one item, built twice by Yjs (2026-11-25). */
	"one value of 1.9 million objects": () => [manyEmptyObjects(1_900_000)],
	/** A text format whose JSON value holds 1.3 million numbers. */
	"a format of 1.3 million JSON values": () => [
		handBuilt([
			{
				client: 1,
				items: [{ parent: "t", content: new Y.ContentFormat("x", Array(1_300_000).fill(0)) }],
			},
		]),
	],
	/** A million characters in one item, then half a million deletions splitting it. */
	"deletions splitting one item": () => [
		handBuilt([
			{ client: 1, items: [{ parent: "t", content: new Y.ContentString("x".repeat(1_000_000)) }] },
		]),
		handBuilt([], [[1, Array.from({ length: 500_000 }, (_, i) => [2 * i, 1] as [number, number])]]),
	],
	/** Deleted items in a formatted nested text: each deletion's cleanup walks all the others. */
	"deletions in formatted text": () => {
		const text = id(1, 0);
		return [
			handBuilt([
				{
					client: 1,
					items: [
						{ parent: "m", sub: "doc", content: new Y.ContentType(new Y.Text()) },
						{ parent: text, content: new Y.ContentFormat("bold", true) },
						{ origin: id(1, 1), content: new Y.ContentString("a") },
						// The end of the bold range (a null value; typed as an object).
						{ origin: id(1, 2), content: new Y.ContentFormat("bold", null as unknown as object) },
					],
				},
			]),
			handBuilt([
				{
					client: 2,
					items: Array.from({ length: 30_000 }, (_, k) => ({
						origin: k === 0 ? id(1, 3) : id(2, k - 1),
						content: new Y.ContentDeleted(1),
					})),
				},
			]),
		];
	},
};
