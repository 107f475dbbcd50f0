import * as decoding from "lib0/decoding";
import { ActorError } from "../protocol/errors.js";
import { hasControlCharacter, TEXT_CONTROLS } from "./content-kinds.js";
import { invalid } from "./parts.js";

/**
 * Most values one update's contents may hold: embedded objects, arrays,
 * keys, strings and numbers of `Y.Map` and `Y.Array` values, and the nodes
 * of JSON contents (formats, embeds). Yjs builds every one of them twice, to
 * check the update (`Y.decodeUpdate`) and to apply it, at 30 to 230 ns each
 * here: 100,000 cost some 10 to 45 ms of the loop. Before 2026-11-25, one
 * 4 MiB update of a single `Y.Map` value holding 1.9 million empty objects
 * counted as one item and blocked the loop for 300 to 580 ms, as often as
 * an attacker sent it.
 */
export const MAX_UPDATE_VALUES = 100_000;

/** What {@link readUpdateParts} counts of an update, without building any of it. */
export interface UpdateParts {
	/** Values its contents hold (see {@link MAX_UPDATE_VALUES}). */
	readonly values: number;
	/** Its structs, as `Y.decodeUpdate` lists them (items, GCs and skips). */
	readonly structs: number;
	/** Ranges of its delete set. */
	readonly ranges: number;
	/** Items that hold a subdocument. */
	readonly subdocuments: number;
	/**
	 * The kinds of content its items hold: bit `1 << ref` per Yjs content ref (1 to 9), and
	 * {@link TEXT_CONTROLS} when a string holds a control character (content-kinds.ts).
	 */
	readonly contentKinds: number;
	/**
	 * Per group of structs, three numbers: its client, its first clock, and
	 * the most its last clock can be plus one (a string's length counted as
	 * its bytes, at least its UTF-16 length), as {@link ClientWrites} reads them.
	 */
	readonly writes: readonly number[];
}

/**
 * Counts the values an update's contents hold (see {@link MAX_UPDATE_VALUES}),
 * its structs, deleted ranges and subdocuments, by reading its bytes without
 * building them: a tenth of the time Yjs takes to decode them. Throws
 * `limit/yjs_update_too_complex` past the values' limit (it stops reading
 * there), and `request/invalid_yjs_message` for what it cannot read.
 *
 * Written here because Yjs has no reader that skips contents: it follows
 * Yjs 13's update format (v1, as y-protocols sends it) and lib0's encoding
 * of values, and a test checks the counts against Yjs's own decoding for
 * every kind of content (update-values.test.ts). Anything it does not know
 * is refused, so a change of format fails closed.
 */
export function readUpdateParts(update: Uint8Array): UpdateParts {
	const reader = new UpdateReader(update);
	try {
		reader.readStructs();
		reader.readDeleteSet();
	} catch (error) {
		if (error instanceof ActorError) throw error;
		throw invalid("a malformed update");
	}
	return reader;
}

// Bits of a struct's info byte (Yjs's binary.BIT6..BIT8 and BITS5).
const HAS_ORIGIN = 0x80;
const HAS_RIGHT_ORIGIN = 0x40;
const HAS_PARENT_SUB = 0x20;
const CONTENT_REF = 0x1f;

// Type references of ContentType that carry a name (Yjs's typeRefs).
const XML_ELEMENT = 3;
const XML_HOOK = 5;
const LAST_TYPE_REF = 6;

// lib0's value tags (readAny: 127 minus the byte's position in its table).
const ANY_UNDEFINED = 127;
const ANY_STRING = 119;
const ANY_OBJECT = 118;
const ANY_ARRAY = 117;
const ANY_BYTES = 116;

/** True for JSON bytes that open a node beyond the first: `{`, `[`, `,` and `:`. */
function opensJsonNode(byte: number): boolean {
	return byte === 0x7b || byte === 0x5b || byte === 0x2c || byte === 0x3a;
}

class UpdateReader implements UpdateParts {
	readonly #decoder: decoding.Decoder;
	values = 0;
	structs = 0;
	ranges = 0;
	subdocuments = 0;
	contentKinds = 0;
	readonly writes: number[] = [];

	constructor(update: Uint8Array) {
		this.#decoder = decoding.createDecoder(update);
	}

	#count(values: number): void {
		this.values += values;
		if (this.values <= MAX_UPDATE_VALUES) return;
		throw new ActorError(
			"limit",
			"yjs_update_too_complex",
			`An update's contents may hold at most ${MAX_UPDATE_VALUES} values (objects, arrays, keys, strings, numbers); send smaller updates`,
			{ limit: MAX_UPDATE_VALUES },
		);
	}

	#uint(): number {
		return decoding.readVarUint(this.#decoder);
	}

	/** An item's id: its client, then its clock. */
	#id(): void {
		this.#uint();
		this.#uint();
	}

	#byte(): number {
		const decoder = this.#decoder;
		if (decoder.pos >= decoder.arr.length) throw new RangeError("past the end");
		return decoder.arr[decoder.pos++] as number;
	}

	/** Skips a string or a buffer (its length, then its bytes), returning its bytes. */
	#bytes(): Uint8Array {
		const length = this.#uint();
		const decoder = this.#decoder;
		const start = decoder.pos;
		this.#skip(length);
		return decoder.arr.subarray(start, start + length);
	}

	/** The structs of every client. */
	readStructs(): void {
		const clients = this.#uint();
		for (let c = 0; c < clients; c++) {
			const structs = this.#uint();
			const client = this.#uint();
			const first = this.#uint();
			let end = first;
			for (let s = 0; s < structs; s++) end += this.#struct();
			this.writes.push(client, first, end);
			this.structs += structs;
		}
	}

	/** The delete set after the structs (it holds no values): per client, its ranges. */
	readDeleteSet(): void {
		const clients = this.#uint();
		for (let c = 0; c < clients; c++) {
			this.#uint(); // client
			const ranges = this.#uint();
			for (let r = 0; r < ranges; r++) {
				this.#uint(); // clock
				this.#uint(); // length
			}
			this.ranges += ranges;
		}
	}

	/** Reads one struct; returns the most clocks it spans (see {@link UpdateParts.writes}). */
	#struct(): number {
		const info = this.#byte();
		const ref = info & CONTENT_REF;
		if (ref === 0 || ref === 10) {
			// Yjs writes a GC's or a skip's info byte bare; its decoder refuses flags on one.
			if (info !== ref) throw new RangeError("a GC or skip with flags");
			return this.#uint(); // its length
		}
		if (info & HAS_ORIGIN) this.#id();
		if (info & HAS_RIGHT_ORIGIN) this.#id();
		if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
			if (this.#uint() === 1)
				this.#bytes(); // the root type's name
			else this.#id(); // the parent's
			if (info & HAS_PARENT_SUB) this.#bytes();
		}
		this.contentKinds |= 1 << ref;
		return this.#content(ref);
	}

	/** Reads an item's content; returns the most clocks it spans (its length in Yjs). */
	#content(ref: number): number {
		switch (ref) {
			case 1: // deleted
				return this.#uint();
			case 2: {
				// JSON: strings, each parsed
				const length = this.#uint();
				for (let i = 0; i < length; i++) this.#json();
				return length;
			}
			case 3: // binary
				this.#bytes();
				return 1;
			case 4: {
				// A string: its UTF-16 length is at most its UTF-8 bytes (a bad byte decodes to one unit).
				const text = this.#bytes();
				if (hasControlCharacter(text)) this.contentKinds |= TEXT_CONTROLS;
				return Math.max(1, text.length);
			}
			case 5: // embed
				this.#json();
				return 1;
			case 6: // format: a key, then JSON
				this.#bytes();
				this.#json();
				return 1;
			case 7: {
				// a shared type
				const type = this.#uint();
				if (type > LAST_TYPE_REF) throw new RangeError("unknown type");
				if (type === XML_ELEMENT || type === XML_HOOK) this.#bytes();
				return 1;
			}
			case 8: {
				// any values
				const length = this.#uint();
				for (let i = 0; i < length; i++) this.#any();
				return length;
			}
			case 9: // a subdocument: its id, and options
				this.subdocuments++;
				this.#bytes();
				this.#any();
				return 1;
			default:
				throw new RangeError("unknown content");
		}
	}

	/** A JSON text: one value, and one more per byte that can open another. */
	#json(): void {
		const text = this.#bytes();
		let nodes = 1;
		for (let i = 0; i < text.length; i++) if (opensJsonNode(text[i] as number)) nodes++;
		this.#count(nodes);
	}

	/** One lib0 value, nested ones included, without recursion (nesting is not bounded). */
	#any(): void {
		// Per open array or object: the values still to read, and whether each has a key first.
		const left: number[] = [1];
		const keyed: boolean[] = [false];
		while (left.length > 0) {
			const top = left.length - 1;
			if (left[top] === 0) {
				left.pop();
				keyed.pop();
				continue;
			}
			(left[top] as number)--;
			if (keyed[top]) {
				this.#bytes();
				this.#count(1);
			}
			this.#count(1);
			const tag = this.#byte();
			if (tag === ANY_OBJECT || tag === ANY_ARRAY) {
				left.push(this.#uint());
				keyed.push(tag === ANY_OBJECT);
			} else if (tag === ANY_STRING || tag === ANY_BYTES) this.#bytes();
			else if (tag === 125) decoding.readVarInt(this.#decoder);
			else if (tag === 124) this.#skip(4);
			else if (tag === 123 || tag === 122) this.#skip(8);
			else if (tag < 120 || tag > ANY_UNDEFINED) throw new RangeError("unknown value");
		}
	}

	#skip(bytes: number): void {
		const decoder = this.#decoder;
		if (decoder.pos + bytes > decoder.arr.length) throw new RangeError("past the end");
		decoder.pos += bytes;
	}
}
