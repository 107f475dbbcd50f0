import { Encoder } from "cbor-x";
import { base64ToBytes, bytesToBase64, utf8Length } from "./bytes.js";
import { errors } from "./errors.js";

/** The wire encodings a client can choose. */
export type Encoding = "json" | "cbor";

/** Parses an encoding name from a header or sub-protocol; absent means JSON. */
export function parseEncoding(value: string | null | undefined): Encoding {
	if (value === null || value === undefined || value === "" || value === "json") return "json";
	if (value === "cbor") return "cbor";
	throw errors.unsupportedEncoding(value);
}

/** HTTP content type for an encoding. */
export function contentTypeFor(encoding: Encoding): string {
	switch (encoding) {
		case "json":
			return "application/json";
		case "cbor":
			return "application/octet-stream";
	}
}

// JSON cannot hold bigint, bytes, sets, maps or undefined. RivetKit's client
// protocol tags them as two-element arrays whose first item starts with "$";
// real two-element arrays that start with a "$" string get an extra "$".
const TAG_BIGINT = "$BigInt";
const TAG_UINT8ARRAY = "$Uint8Array";
const TAG_ARRAYBUFFER = "$ArrayBuffer";
const TAG_UNDEFINED = "$Undefined";
const TAG_SET = "$Set";
const TAG_MAP = "$Map";

function isDollarPair(value: unknown[]): boolean {
	return value.length === 2 && typeof value[0] === "string" && value[0].startsWith("$");
}

/** True when `value` contains something plain JSON would lose or confuse. */
function needsJsonTags(value: unknown, depth: number): boolean {
	if (depth > 200) return true;
	switch (typeof value) {
		case "bigint":
		case "undefined":
			return true;
		case "object": {
			if (value === null) return false;
			if (Array.isArray(value)) {
				if (isDollarPair(value)) return true;
				for (const item of value) if (needsJsonTags(item, depth + 1)) return true;
				return false;
			}
			if (value instanceof Date) return false;
			const proto = Object.getPrototypeOf(value);
			if (proto !== Object.prototype && proto !== null) return true;
			for (const key in value) {
				if (needsJsonTags((value as Record<string, unknown>)[key], depth + 1)) return true;
			}
			return false;
		}
		default:
			return false;
	}
}

function tagReplacer(this: unknown, _key: string, value: unknown): unknown {
	if (typeof value === "bigint") return [TAG_BIGINT, value.toString()];
	if (value === undefined) return [TAG_UNDEFINED, 0];
	if (value instanceof Uint8Array) return [TAG_UINT8ARRAY, bytesToBase64(value)];
	if (value instanceof ArrayBuffer) return [TAG_ARRAYBUFFER, bytesToBase64(new Uint8Array(value))];
	if (value instanceof Set) return [TAG_SET, [...value]];
	if (value instanceof Map) return [TAG_MAP, [...value.entries()]];
	if (Array.isArray(value) && isDollarPair(value)) return [`$${value[0] as string}`, value[1]];
	return value;
}

/**
 * `JSON.stringify` that keeps bigint, bytes, sets, maps and undefined as tagged
 * arrays (compatible with RivetKit's JSON encoding). Plain values take the
 * native fast path.
 */
export function jsonStringifyCompat(value: unknown): string {
	if (!needsJsonTags(value, 0)) return JSON.stringify(value) ?? "null";
	// Top-level undefined is handled by the replacer too.
	return JSON.stringify(value, tagReplacer);
}

function reviveTags(value: unknown): unknown {
	if (Array.isArray(value)) {
		if (isDollarPair(value)) {
			const tag = value[0] as string;
			const payload = value[1];
			switch (tag) {
				case TAG_BIGINT:
					if (typeof payload !== "string" || !/^-?\d+$/.test(payload)) {
						throw new Error("bad $BigInt payload");
					}
					return BigInt(payload);
				case TAG_UINT8ARRAY:
					if (typeof payload !== "string") throw new Error("bad $Uint8Array payload");
					return base64ToBytes(payload);
				case TAG_ARRAYBUFFER: {
					if (typeof payload !== "string") throw new Error("bad $ArrayBuffer payload");
					const bytes = base64ToBytes(payload);
					return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
				}
				case TAG_UNDEFINED:
					return undefined;
				case TAG_SET:
					if (!Array.isArray(payload)) throw new Error("bad $Set payload");
					return new Set(payload.map(reviveTags));
				case TAG_MAP:
					if (!Array.isArray(payload)) throw new Error("bad $Map payload");
					return new Map(
						payload.map((entry) => {
							if (!Array.isArray(entry) || entry.length !== 2) throw new Error("bad $Map entry");
							return [reviveTags(entry[0]), reviveTags(entry[1])] as const;
						}),
					);
				default:
					if (tag.startsWith("$$")) return [tag.slice(1), reviveTags(payload)];
					throw new Error(`unknown tag ${tag}`);
			}
		}
		for (let i = 0; i < value.length; i++) value[i] = reviveTags(value[i]);
		return value;
	}
	if (value !== null && typeof value === "object") {
		const record = value as Record<string, unknown>;
		for (const key of Object.keys(record)) record[key] = reviveTags(record[key]);
	}
	return value;
}

/** `JSON.parse` that understands the tagged arrays of {@link jsonStringifyCompat}. */
export function jsonParseCompat(text: string): unknown {
	const parsed: unknown = JSON.parse(text);
	// Tagged values always contain the two characters `"$`; skip the walk otherwise.
	return text.includes('"$') ? reviveTags(parsed) : parsed;
}

// One CBOR encoder for the wire and for storage. Plain objects stay maps (no
// cbor-x "records" extension, which other CBOR readers do not understand);
// Map and Set keep their types through tags 259 and 258.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, pack: false });

/** Encodes a value as CBOR. */
export function cborEncode(value: unknown): Uint8Array {
	return cbor.encode(value);
}

/** Decodes CBOR bytes. Throws on malformed input. */
export function cborDecode(bytes: Uint8Array): unknown {
	return cbor.decode(bytes);
}

function escapeDollarPairs(value: unknown, depth: number): unknown {
	if (depth > 512 || typeof value !== "object" || value === null) return value;
	if (Array.isArray(value)) {
		const items = value.map((item) => escapeDollarPairs(item, depth + 1));
		return isDollarPair(items) ? [`$${items[0] as string}`, items[1]] : items;
	}
	if (value instanceof Map) {
		return new Map(
			[...value].map(([k, v]) => [
				escapeDollarPairs(k, depth + 1),
				escapeDollarPairs(v, depth + 1),
			]),
		);
	}
	if (value instanceof Set)
		return new Set([...value].map((item) => escapeDollarPairs(item, depth + 1)));
	const proto = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) return value;
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) out[key] = escapeDollarPairs(item, depth + 1);
	return out;
}

/**
 * CBOR in RivetKit's "compat" form, used for actor input (`rvt-input`, REST
 * `input`): two-element arrays starting with a `$` string are escaped so the
 * reader can revive tagged values.
 */
export function cborEncodeCompat(value: unknown): Uint8Array {
	return cborEncode(escapeDollarPairs(value, 0));
}

/** Decodes {@link cborEncodeCompat} output (and RivetKit's input encoding). */
export function cborDecodeCompat(bytes: Uint8Array): unknown {
	return reviveTags(cborDecode(bytes));
}

/** Encodes `value` in `encoding`: a string for JSON, bytes for CBOR. */
export function encodeValue(encoding: Encoding, value: unknown): string | Uint8Array {
	switch (encoding) {
		case "json":
			return jsonStringifyCompat(value);
		case "cbor":
			return cborEncode(value);
	}
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a message in `encoding`. Throws `request/malformed` for anything
 * that does not decode; never returns a partial value.
 */
export function decodeValue(encoding: Encoding, data: string | Uint8Array): unknown {
	try {
		switch (encoding) {
			case "json":
				return jsonParseCompat(typeof data === "string" ? data : utf8Decoder.decode(data));
			case "cbor": {
				if (typeof data === "string") throw new Error("CBOR messages must be binary");
				return cborDecode(data);
			}
		}
	} catch (error) {
		throw errors.malformed(
			`${encoding}: ${error instanceof Error ? error.message : String(error)}`,
		);
	}
}

/** Byte length of an encoded message. */
export function encodedLength(data: string | Uint8Array): number {
	return typeof data === "string" ? utf8Length(data) : data.byteLength;
}
