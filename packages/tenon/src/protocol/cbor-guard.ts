// A linear pre-check of CBOR from clients, before cbor-x decodes it. The
// decoder itself is not safe against every input: value-sharing tags (28/29)
// build graphs whose size explodes when walked or re-encoded, and bignums
// (tags 2/3) decode in time quadratic in their length. cbor-x also reads its
// own extensions in any input, whatever the options it encodes with: packed
// values (tags 51 and 6, and the prefix and suffix ranges) share and
// concatenate earlier values, so a kilobyte can describe 2^40 items or a few
// hundred kilobytes gigabytes (an attacker probe, 2026-11-25: a 711-byte
// request blocked the loop for 2.9 s, a 209 KB one killed the process out
// of memory), and record structures (tags 105, 0xdff9 and up) compile a
// function per record shape. Tenon's encoders use none of them. This scan
// walks the bytes once, with an explicit stack (no recursion), and refuses
// those before any of them is built. It also counts items and containers
// against the limits of value-limits.ts.
import {
	containersProblem,
	itemsProblem,
	MAX_VALUE_CONTAINERS,
	MAX_VALUE_ITEMS,
} from "./value-limits.js";

/** Largest bignum payload accepted (bytes): 1 KiB is an 8,192-bit integer. */
export const MAX_BIGNUM_BYTES = 1_024;
/** Deepest nesting of arrays, maps and tags accepted. */
export const MAX_CBOR_DEPTH = 512;

const TAG_SHAREABLE = 28;
const TAG_SHARED_REF = 29;
const TAG_POS_BIGNUM = 2;
const TAG_NEG_BIGNUM = 3;
const TAG_GENERIC_OBJECT = 27;
/** RFC 8746's typed arrays (cbor-x reads 64 to 87). */
const TAG_TYPED_ARRAYS_FIRST = 64;
const TAG_TYPED_ARRAYS_LAST = 87;

/**
 * Returns why `bytes` may not be decoded, or undefined when it may. Checks
 * structure only (the decoder still validates everything else): lengths fit
 * in the input, nesting stays within {@link MAX_CBOR_DEPTH}, no value-sharing
 * tags, bignums within {@link MAX_BIGNUM_BYTES}; with `countParts` (a value
 * from a client), at most {@link MAX_VALUE_ITEMS} items and
 * {@link MAX_VALUE_CONTAINERS} arrays and maps.
 */
export function cborProblem(bytes: Uint8Array, countParts = false): string | undefined {
	const maxItems = countParts ? MAX_VALUE_ITEMS : Number.POSITIVE_INFINITY;
	const maxContainers = countParts ? MAX_VALUE_CONTAINERS : Number.POSITIVE_INFINITY;
	const end = bytes.length;
	// Items still to read in each open container (-1: indefinite, until a break),
	// open containers being remaining[0..open). One array for every call: the scan
	// is synchronous, and every message from every client passes here.
	const remaining = openItems;
	let open = 0;
	// Whether the item about to be read is a bignum's payload.
	let bignumNext = false;
	// Whether the item about to be read is a typed array's bytes.
	let typedArrayNext = false;
	let offset = 0;
	let items = 0;
	let containers = 0;
	while (offset < end) {
		const initial = bytes[offset++] as number;
		const major = initial >> 5;
		const info = initial & 0x1f;
		if (initial === 0xff) {
			// A break ends the innermost indefinite container.
			if (open === 0 || remaining[open - 1] !== -1) return "an unexpected break";
			open = closeItem(remaining, open - 1);
			continue;
		}
		let argument: number;
		if (info < 24) argument = info;
		else if (info <= 27) {
			const size = 1 << (info - 24);
			if (offset + size > end) return "a length past the end";
			argument = 0;
			for (let i = 0; i < size; i++) argument = argument * 256 + (bytes[offset + i] as number);
			offset += size;
		} else if (info === 31) argument = -1;
		else return "a reserved additional value";
		if (++items > end) return "more items than bytes";
		if (items > maxItems) return itemsProblem();
		if (bignumNext && major !== 2) return "a bignum that is not a byte string";
		if (typedArrayNext) {
			if (major !== 2 || argument === -1) return "a typed array that is not a byte string";
			typedArrayNext = false;
		}
		switch (major) {
			case 0:
			case 1:
			case 7:
				if (major === 7 && info === 31) return "an unexpected break";
				break;
			case 2:
			case 3:
				if (argument === -1) {
					// Indefinite strings: chunks follow until a break.
					if (bignumNext) return "an indefinite bignum";
					if (open >= MAX_CBOR_DEPTH) return "nesting too deep";
					remaining[open++] = -1;
					continue;
				}
				if (argument > end - offset) return "a string longer than the input";
				if (bignumNext && argument > MAX_BIGNUM_BYTES) return "a bignum too large";
				bignumNext = false;
				offset += argument;
				break;
			case 4:
			case 5: {
				if (++containers > maxContainers) return containersProblem();
				const count = argument === -1 ? -1 : major === 5 ? argument * 2 : argument;
				if (count > end - offset) return "a container longer than the input";
				if (count === 0) break;
				if (open >= MAX_CBOR_DEPTH) return "nesting too deep";
				remaining[open++] = count;
				continue;
			}
			case 6:
				if (argument === TAG_SHAREABLE || argument === TAG_SHARED_REF)
					return "a value-sharing tag (28/29)";
				if (isDecoderExtension(argument)) return `a cbor-x extension tag (${argument})`;
				// cbor-x's generic object (27) calls `{ Error, RegExp }[name](a, b)`, any name,
				// inherited members such as `constructor` included. It writes an Error or a
				// RegExp that way, so a client reads one in a reply; from a client it is refused.
				if (argument === TAG_GENERIC_OBJECT && countParts)
					return "a cbor-x extension tag (27, a generic object)";
				if (argument === TAG_POS_BIGNUM || argument === TAG_NEG_BIGNUM) bignumNext = true;
				// A typed array wraps a byte string; cbor-x passes anything else to the array's
				// constructor: `{ buffer: 1e8 }` under tag 86 made an 800 MB Float64Array from
				// 26 bytes (a review, 2026-11-27).
				if (argument >= TAG_TYPED_ARRAYS_FIRST && argument <= TAG_TYPED_ARRAYS_LAST)
					typedArrayNext = true;
				if (open >= MAX_CBOR_DEPTH) return "nesting too deep";
				// A tag wraps exactly one item.
				remaining[open++] = 1;
				continue;
		}
		open = closeItem(remaining, open);
	}
	if (open > 0 || bignumNext || typedArrayNext) return "the input ends inside a value";
	return undefined;
}

/**
 * Tags cbor-x gives a meaning of its own when decoding (decode.js): packed
 * values (references 6, tables 51, prefixes and suffixes 216 to 255 and
 * 27647 to 32767), bundled strings (14, 15), records (105, and every tag
 * from 0xdff9 on, including the packed ranges past 2^30); generic objects
 * (27) are refused from clients only (see the scan). Any other tag
 * decodes to what it wraps, a value Tenon knows (dates, bignums, sets, maps,
 * typed arrays), or a tag object that the plain-data check refuses.
 */
function isDecoderExtension(tag: number): boolean {
	return (
		tag === 6 ||
		tag === 14 ||
		tag === 15 ||
		tag === 51 ||
		tag === 105 ||
		(tag >= 216 && tag <= 255) ||
		(tag >= 27647 && tag <= 32767) ||
		tag >= 0xdff9
	);
}

/** The open containers' counts (a count fits: it is at most the input's length). */
const openItems = new Float64Array(MAX_CBOR_DEPTH);

/**
 * One item finished: count it against the `open` containers, closing the ones
 * it completes; returns how many stay open.
 */
function closeItem(remaining: Float64Array, open: number): number {
	let top = open - 1;
	while (top >= 0) {
		const left = remaining[top] as number;
		if (left === -1) break;
		if (left > 1) {
			remaining[top] = left - 1;
			break;
		}
		top--;
	}
	return top + 1;
}
