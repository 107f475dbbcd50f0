// JSON in RivetKit's client-protocol convention. JSON cannot hold bigint,
// bytes, sets or undefined, so they travel as two-element arrays whose first
// item starts with "$" (`["$BigInt","7"]`); a real two-element array that
// starts with a "$" string gets an extra "$". Values are converted to a plain
// JSON tree first and then stringified, so the result never depends on
// `toJSON` methods that libraries install on built-in prototypes (wa-sqlite,
// loaded by `tenon/db`, adds `BigInt.prototype.toJSON`; Node's Buffer has one).

import { base64ToBytes, bytesToBase64 } from "./bytes.js";
import { MAX_PLAIN_DEPTH } from "./plain-data.js";

const TAG_BIGINT = "$BigInt";
const TAG_UINT8ARRAY = "$Uint8Array";
const TAG_ARRAYBUFFER = "$ArrayBuffer";
const TAG_UNDEFINED = "$Undefined";
const TAG_SET = "$Set";
/** Read, never written: older Tenon clients sent Maps this way. */
const TAG_MAP = "$Map";

const MAX_DEPTH = 600;

/** True for `["$...", x]`: a tagged value, or a real pair that needs escaping. */
export function isDollarPair(value: unknown[]): boolean {
	return value.length === 2 && typeof value[0] === "string" && value[0].startsWith("$");
}

const nativeDateToJSON = Date.prototype.toJSON;

/**
 * True when a library replaced or added a `toJSON` that `JSON.stringify`
 * would call on the plain tree (objects, arrays, dates): then the tree is
 * written by {@link writeJson} instead.
 */
function prototypesHaveToJSON(): boolean {
	return (
		Object.hasOwn(Object.prototype, "toJSON") ||
		Object.hasOwn(Array.prototype, "toJSON") ||
		Date.prototype.toJSON !== nativeDateToJSON
	);
}

/** True when `value` is all plain JSON already (the common case: no conversion needed). */
function isPlainJson(value: unknown, depth: number): boolean {
	switch (typeof value) {
		case "string":
		case "boolean":
			return true;
		case "number":
			return true;
		case "object": {
			if (value === null) return true;
			if (depth > MAX_DEPTH) return false;
			if (Array.isArray(value)) {
				if (isDollarPair(value)) return false;
				for (const item of value) if (!isPlainJson(item, depth + 1)) return false;
				return true;
			}
			const proto = Object.getPrototypeOf(value);
			if (proto !== Object.prototype && proto !== null) return false;
			for (const key of Object.keys(value)) {
				if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
			}
			return true;
		}
		default:
			return false;
	}
}

/**
 * The JSON tree of a value, with RivetKit's tags. Dates become ISO strings
 * (as JSON.stringify writes them); a Map becomes an object of its entries, as
 * in RivetKit's JSON (use CBOR or BARE to keep Maps); other objects keep
 * their enumerable own properties.
 */
function toJsonTree(value: unknown, depth: number): unknown {
	switch (typeof value) {
		case "bigint":
			return [TAG_BIGINT, value.toString()];
		case "undefined":
			return [TAG_UNDEFINED, 0];
		case "function":
		case "symbol":
			return null;
		case "object":
			break;
		default:
			return value;
	}
	if (value === null) return null;
	if (depth > MAX_DEPTH) throw new Error(`nested deeper than ${MAX_DEPTH} levels`);
	if (Array.isArray(value)) {
		const items = value.map((item) => toJsonTree(item, depth + 1));
		return isDollarPair(items) ? [`$${items[0] as string}`, items[1]] : items;
	}
	if (value instanceof Uint8Array) return [TAG_UINT8ARRAY, bytesToBase64(value)];
	if (value instanceof ArrayBuffer) return [TAG_ARRAYBUFFER, bytesToBase64(new Uint8Array(value))];
	if (value instanceof Date)
		return Number.isNaN(value.getTime()) ? null : nativeDateToJSON.call(value);
	if (value instanceof Set) return [TAG_SET, [...value].map((item) => toJsonTree(item, depth + 1))];
	const out: Record<string, unknown> = {};
	if (value instanceof Map) {
		// Defined, not assigned: a `__proto__` key stays a key (assigned, it set the prototype).
		for (const [key, item] of value)
			Object.defineProperty(out, mapKeyName(key), {
				value: toJsonTree(item, depth + 1),
				enumerable: true,
				writable: true,
				configurable: true,
			});
		return out;
	}
	for (const key of Object.keys(value)) {
		out[key] = toJsonTree((value as Record<string, unknown>)[key], depth + 1);
	}
	return out;
}

/**
 * A Map key as an object's key: as `String` writes it, or, when that throws,
 * its kind. `String(key)` of an object key calls its `toString`: `{ toString:
 * 1 }` (which CBOR carries) threw, and the state holding such a Map could not
 * be shown in JSON, nor an event holding it sent to a JSON connection (an
 * attacker probe, 2026-11-28).
 */
export function mapKeyName(key: unknown): string {
	try {
		return String(key);
	} catch {
		return Array.isArray(key) ? "[array]" : "[object]";
	}
}

/** Writes a plain JSON tree without calling any `toJSON` (for polluted prototypes). */
function writeJson(value: unknown): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
	if (Array.isArray(value)) return `[${value.map(writeJson).join(",")}]`;
	const parts: string[] = [];
	for (const key of Object.keys(value)) {
		parts.push(`${JSON.stringify(key)}:${writeJson((value as Record<string, unknown>)[key])}`);
	}
	return `{${parts.join(",")}}`;
}

/** Stringifies `value` in RivetKit's JSON convention (see the top of this file). */
export function jsonStringifyCompat(value: unknown, depth = 0): string {
	const polluted = prototypesHaveToJSON();
	// `depth`: where `value` sits in the message it is written into (the depth limit counts from there).
	if (!polluted && isPlainJson(value, depth)) return JSON.stringify(value);
	const tree = toJsonTree(value, depth);
	return polluted ? writeJson(tree) : JSON.stringify(tree);
}

/** Turns tagged arrays back into values (in place). Throws on an unknown or malformed tag. */
export function reviveTags(value: unknown): unknown {
	if (Array.isArray(value)) {
		if (isDollarPair(value)) {
			const tag = value[0] as string;
			const payload = value[1];
			switch (tag) {
				case TAG_BIGINT:
					// Bounded: parsing a decimal bigint takes time quadratic in its digits.
					if (typeof payload !== "string" || !/^-?\d{1,2500}$/.test(payload)) {
						throw new Error("bad $BigInt payload (at most 2,500 digits)");
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
	if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
		if (value instanceof Map) {
			const entries = [...value].map(([k, v]) => [reviveTags(k), reviveTags(v)] as const);
			value.clear();
			for (const [k, v] of entries) value.set(k, v);
			return value;
		}
		if (value instanceof Set) {
			const items = [...value].map(reviveTags);
			value.clear();
			for (const item of items) value.add(item);
			return value;
		}
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

/**
 * A `\uD800`-`\uDFFF` escape: the only way JSON text decoded from UTF-8 can
 * hold a lone surrogate (decoding replaces one written as bytes).
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** True when JSON text (or its UTF-8 bytes) holds a surrogate's escape. */
function hasSurrogateEscape(data: string | Uint8Array): boolean {
	if (typeof data === "string") return SURROGATE_ESCAPE.test(data);
	for (
		let at = data.indexOf(0x5c);
		at !== -1 && at + 3 < data.length;
		at = data.indexOf(0x5c, at + 1)
	) {
		const d = data[at + 2] as number;
		const next = (data[at + 3] as number) | 0x20; // lower case
		if (
			data[at + 1] === 0x75 &&
			(d | 0x20) === 0x64 &&
			(next === 0x38 || next === 0x39 || (next >= 0x61 && next <= 0x66))
		)
			return true;
	}
	return false;
}

/**
 * A client's parsed JSON with every lone surrogate (from an escape such as
 * `"\ud800"`) replaced by U+FFFD, in strings and keys: what CBOR and BARE
 * clients' values get from UTF-8 decoding. An actor never sees one from a
 * client, whatever the encoding; storing one would be refused (findNotPlain).
 * `data` is the JSON `value` was parsed from: without such an escape, no walk.
 * Actor keys are not passed here: one with a lone surrogate is refused
 * (`request/invalid_key`), never changed into another actor's.
 */
export function wellFormedStrings<T>(value: T, data: string | Uint8Array): T {
	return hasSurrogateEscape(data) ? (replaceLoneSurrogates(value) as T) : value;
}

/**
 * How deep {@link replaceLoneSurrogates} goes. JSON.parse takes any depth
 * (a 60 KB WebSocket frame nests 30,000 arrays), and walking all of it
 * overflowed the stack: an attacker probe's frame got `core/internal_error`
 * instead of `request/invalid_value`. Deeper than plain data may nest (and
 * than a message's envelope adds to it) is refused by the plain-data check
 * every caller makes, so what lies past it is left as it is.
 */
const MAX_SURROGATE_DEPTH = MAX_PLAIN_DEPTH + 8;

function replaceLoneSurrogates(value: unknown, depth = 0): unknown {
	if (typeof value === "string") return value.toWellFormed();
	if (typeof value !== "object" || value === null || depth > MAX_SURROGATE_DEPTH) return value;
	const next = depth + 1;
	if (Array.isArray(value)) {
		for (let i = 0; i < value.length; i++) value[i] = replaceLoneSurrogates(value[i], next);
		return value;
	}
	const record = value as Record<string, unknown>;
	const keys = Object.keys(record);
	if (keys.every((key) => key.isWellFormed())) {
		for (const key of keys) record[key] = replaceLoneSurrogates(record[key], next);
		return record;
	}
	// Rebuilt in order; keys that become one keep the last value, as JSON.parse
	// keeps a repeated key's (defined, not assigned: a `__proto__` key stays a key).
	const out: Record<string, unknown> = {};
	for (const key of keys)
		Object.defineProperty(out, key.toWellFormed(), {
			value: replaceLoneSurrogates(record[key], next),
			enumerable: true,
			writable: true,
			configurable: true,
		});
	return out;
}
