// An action's reply on a connection is written without building its envelope
// (encodeActionResponse): its bytes must be exactly those of the envelope
// `{ body: { tag: "ActionResponse", val: { id, output } } }`, for every id and
// output, in every encoding, or a client would read another value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	decodeToClient,
	encodeActionResponse,
	encodeToClient,
} from "../../src/protocol/messages.js";

const envelope = (encoding: "json" | "cbor" | "bare", id: number | bigint, output: unknown) =>
	encodeToClient(encoding, { tag: "ActionResponse", id, output });

/**
 * What encoding gives: the frame as text, or its bytes as hex (cbor-x hands
 * out Buffers, the fast path Uint8Arrays), or the error it throws (an output
 * an encoding cannot write must fail the same way).
 */
function outcome(encode: () => string | Uint8Array): string {
	try {
		const frame = encode();
		return typeof frame === "string" ? frame : Buffer.from(frame).toString("hex");
	} catch (error) {
		return `throws ${String(error)}`;
	}
}

/** Ids at the edges of CBOR's integer sizes, and past the fast path's. */
const edgeIds = [
	0,
	-0,
	1,
	23,
	24,
	255,
	256,
	65_535,
	65_536,
	0xffff_ffff,
	0x1_0000_0000,
	2 ** 53 - 1,
];

/** `leaf` inside `levels` arrays. */
function nested(levels: number, leaf: unknown): unknown {
	let value = leaf;
	for (let i = 0; i < levels; i++) value = [value];
	return value;
}

/**
 * Outputs at the encoders' depth limit (600, counted from the envelope): a
 * `$`-pair escaped or not, an encoding that throws or not, at the same depth.
 */
const deepOutputs = [594, 595, 596, 597, 598, 599, 600].flatMap((levels) => [
	nested(levels, ["$BigInt", "1"]),
	nested(levels, 1n),
	nested(levels, { a: 1 }),
]);

/** Outputs of every kind a reply carries, with the ones each encoding treats apart. */
const output = fc.oneof(
	fc.anything({
		withBigInt: true,
		withDate: true,
		withMap: true,
		withSet: true,
		withTypedArray: true,
		withNullPrototype: true,
		withSparseArray: true,
	}),
	fc.constantFrom(undefined, null, -0, Number.NaN, ["$BigInt", "1"], { $: ["$Date", 1] }),
	fc.constantFrom(...deepOutputs),
);

describe("an action's reply frame", () => {
	for (const encoding of ["json", "cbor", "bare"] as const) {
		it(`is the envelope's bytes in ${encoding}, for any id and output`, () => {
			fc.assert(
				fc.property(
					fc.oneof(
						fc.constantFrom(...edgeIds),
						fc.nat(),
						fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
					),
					output,
					(id, value) => {
						expect(outcome(() => encodeActionResponse(encoding, id, value))).toBe(
							outcome(() => envelope(encoding, id, value)),
						);
					},
				),
				{ numRuns: 500 },
			);
		});
	}

	it("reads back as the reply it is", () => {
		const frame = encodeActionResponse("cbor", 300, { n: 1, list: [1, "two"] });
		expect(decodeToClient("cbor", frame)).toEqual({
			tag: "ActionResponse",
			id: 300,
			output: { n: 1, list: [1, "two"] },
		});
		expect(decodeToClient("json", encodeActionResponse("json", 7, undefined))).toEqual({
			tag: "ActionResponse",
			id: 7,
			output: undefined,
		});
	});
});
