import { Encoder } from "cbor-x";
import { utf8Length } from "./bytes.js";
import { cborProblem } from "./cbor-guard.js";
import { type ActorError, errors } from "./errors.js";
import { isDollarPair, jsonParseCompat, jsonStringifyCompat, reviveTags } from "./json-compat.js";
import { findNotPlain } from "./plain-data.js";
import { jsonProblem } from "./value-limits.js";

/**
 * The wire encodings a client can choose: JSON, CBOR, and BARE (RivetKit's
 * default: versioned BARE messages carrying CBOR values).
 */
export type Encoding = "json" | "cbor" | "bare";

/** Parses an encoding name from a header or sub-protocol; absent means JSON. */
export function parseEncoding(value: string | null | undefined): Encoding {
	if (value === null || value === undefined || value === "" || value === "json") return "json";
	if (value === "cbor" || value === "bare") return value;
	throw errors.unsupportedEncoding(value);
}

/**
 * A request's encoding: its `x-rivet-encoding` (RivetKit's), else CBOR for a
 * body sent as `content-type: application/cbor` to an action or a queue
 * (`protocolBody`), else JSON. A CBOR body sent
 * with that type and no header was read as JSON and refused as malformed (a
 * walkthrough, 2026-11-28).
 */
export function requestEncoding(
	headers: { get(name: string): string | null },
	protocolBody = true,
): Encoding {
	const named = headers.get("x-rivet-encoding");
	if (named !== null && named !== "") return parseEncoding(named);
	// A raw request's body is the app's own: its content type says nothing of Tenon's answers.
	if (!protocolBody) return "json";
	const type = headers.get("content-type");
	if (type !== null && (type.split(";")[0] ?? "").trim().toLowerCase() === "application/cbor")
		return "cbor";
	return "json";
}

/** HTTP content type for an encoding. */
export function contentTypeFor(encoding: Encoding): string {
	switch (encoding) {
		case "json":
			return "application/json";
		case "cbor":
		case "bare":
			return "application/octet-stream";
	}
}

// One CBOR encoder for the wire and for storage. Plain objects stay maps (no
// cbor-x "records" extension, which other CBOR readers do not understand);
// Map and Set keep their types through tags 259 and 258.
const cbor = new Encoder({
	useRecords: false,
	mapsAsObjects: true,
	pack: false,
	// A map header sized to its keys: without it, cbor-x writes every object's
	// key count in 16 bits, and an object of 65,536 keys or more was stored in
	// bytes that do not decode (an actor's state lost at its next wake).
	variableMapSize: true,
});

/** Encodes a value as CBOR. */
export function cborEncode(value: unknown): Uint8Array {
	return cbor.encode(value);
}

/** Decodes CBOR bytes. Throws on malformed input. */
export function cborDecode(bytes: Uint8Array): unknown {
	return cbor.decode(bytes);
}

/** True when `value` holds a two-element array starting with a `$` string (it needs escaping). */
function hasDollarPair(value: unknown, depth: number): boolean {
	if (depth > 600 || typeof value !== "object" || value === null) return false;
	if (Array.isArray(value)) {
		if (isDollarPair(value)) return true;
		for (const item of value) if (hasDollarPair(item, depth + 1)) return true;
		return false;
	}
	if (value instanceof Map) {
		for (const [k, v] of value)
			if (hasDollarPair(k, depth + 1) || hasDollarPair(v, depth + 1)) return true;
		return false;
	}
	if (value instanceof Set) {
		for (const item of value) if (hasDollarPair(item, depth + 1)) return true;
		return false;
	}
	const proto = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) return false;
	// `for in` over own keys: no key array per object (every reply's envelope passes here).
	for (const key in value)
		if (
			Object.hasOwn(value, key) &&
			hasDollarPair((value as Record<string, unknown>)[key], depth + 1)
		)
			return true;
	return false;
}

function escapeDollarPairs(value: unknown, depth: number): unknown {
	if (depth > 600 || typeof value !== "object" || value === null) return value;
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
export function cborEncodeCompat(value: unknown, depth = 0): Uint8Array {
	// Copied only when something needs escaping (rare): the common case encodes as is.
	// `depth`: where `value` sits in the message it is written into (the depth limit counts from there).
	return cborEncode(hasDollarPair(value, depth) ? escapeDollarPairs(value, depth) : value);
}

/** Decodes {@link cborEncodeCompat} output (and RivetKit's input encoding). */
export function cborDecodeCompat(bytes: Uint8Array): unknown {
	return reviveTags(cborDecode(bytes));
}

/**
 * Encodes a value in `encoding`: a string for JSON, bytes for CBOR. Both follow
 * RivetKit's convention: `$`-pairs in values are escaped, so a reader that
 * revives tagged values (as RivetKit's client does, in CBOR too) gets them back.
 * In BARE, values travel as this same CBOR inside the BARE messages (see
 * bare-codec.ts), so a bare value is its CBOR.
 */
export function encodeValue(encoding: Encoding, value: unknown): string | Uint8Array {
	switch (encoding) {
		case "json":
			return jsonStringifyCompat(value);
		case "cbor":
		case "bare":
			return cborEncodeCompat(value);
	}
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
/** `$` in UTF-8. */
const DOLLAR = 0x24;

/**
 * Decodes a message in `encoding`. Throws `request/malformed` for anything
 * that does not decode; never returns a partial value. `fromClient`: the
 * value also holds at most the items and containers of value-limits.ts
 * (a server reading a client; a client reads replies up to their byte limit).
 */
export function decodeValue(
	encoding: Encoding,
	data: string | Uint8Array,
	fromClient = false,
): unknown {
	try {
		switch (encoding) {
			case "json": {
				const text = typeof data === "string" ? data : utf8Decoder.decode(data);
				const problem = fromClient ? jsonProblem(text) : undefined;
				if (problem !== undefined) throw new Error(problem);
				return jsonParseCompat(text);
			}
			case "cbor":
			case "bare": {
				if (typeof data === "string") throw new Error("CBOR messages must be binary");
				// Checked first: some inputs are slow or explosive to decode (see cbor-guard).
				const problem = cborProblem(data, fromClient);
				if (problem !== undefined) throw new Error(problem);
				// Tagged `$`-pairs are revived, as RivetKit's server does for CBOR. A tag
				// is a text string starting with `$`, whose UTF-8 is in the bytes as
				// they are (0x24 is never part of another character's encoding):
				// without that byte there is nothing to revive, and no walk.
				const value = cborDecode(data);
				return data.includes(DOLLAR) ? reviveTags(value) : value;
			}
		}
	} catch (error) {
		throw errors.malformed(`${encoding}: ${decodeFailure(error)}`);
	}
}

/**
 * Why a value did not decode, as its sender reads it: the decoder's own message (cbor-x's
 * "Unexpected end of CBOR data", JSON.parse's syntax error, the pre-checks'), but not a
 * TypeError or RangeError from inside cbor-x, which named its code ("(glbl[data[0]] || Error)
 * is not a function", "number 1 is not iterable": an attacker probe, 2026-11-27).
 */
function decodeFailure(error: unknown): string {
	if (error instanceof Error && (error.constructor === Error || error instanceof SyntaxError))
		return error.message;
	return "a value that does not decode";
}

// cbor-x renames "__proto__" map keys to "__proto_" (to protect prototypes),
// so a value holding one would not come back as sent: it is refused instead.
// The key is found in the bytes as "__proto", whatever length header it has
// (an attacker probe sent the long form, 0x78 0x09, past a check of the
// short one); cbor-x refuses text in chunks (indefinite length) outright.
const PROTO_PREFIX = new TextEncoder().encode("__proto");

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
	const first = needle[0] as number;
	outer: for (let i = haystack.indexOf(first); i !== -1; i = haystack.indexOf(first, i + 1)) {
		if (i + needle.length > haystack.length) return false;
		for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
		return true;
	}
	return false;
}

/** True when CBOR `bytes` may hold a "__proto__" key (then the decoded value is looked at). */
function mayHoldProtoKey(bytes: Uint8Array): boolean {
	return containsBytes(bytes, PROTO_PREFIX);
}

function hasRenamedProtoKey(value: unknown, depth: number): boolean {
	if (typeof value !== "object" || value === null || depth > 600) return false;
	if (Array.isArray(value)) return value.some((item) => hasRenamedProtoKey(item, depth + 1));
	if (value instanceof Map) {
		for (const [key, item] of value) {
			if (hasRenamedProtoKey(key, depth + 1) || hasRenamedProtoKey(item, depth + 1)) return true;
		}
		return false;
	}
	if (value instanceof Set) {
		for (const item of value) if (hasRenamedProtoKey(item, depth + 1)) return true;
		return false;
	}
	if (Object.hasOwn(value, "__proto_")) return true;
	return Object.values(value).some((item) => hasRenamedProtoKey(item, depth + 1));
}

/**
 * Decodes a value sent by a client and checks that it is plain data Tenon can
 * store and send back exactly (see {@link findNotPlain}). Throws
 * `request/malformed` for bytes that do not decode and `request/invalid_value`
 * (with the path) for a CBOR tag Tenon does not know, a RegExp, a cycle, a
 * `__proto__` key or nesting deeper than 512 levels.
 */
export function decodeUntrusted(
	encoding: Encoding,
	data: string | Uint8Array,
	path = "value",
): unknown {
	const value = decodeValue(encoding, data, true);
	const error = notPlainError(value, data, path);
	if (error) throw error;
	return value;
}

/**
 * The `request/invalid_value` error for a decoded client value that is not
 * plain data, or undefined when it is. `data` is what it was decoded from.
 */
export function notPlainError(
	value: unknown,
	data: string | Uint8Array,
	path: string,
): ActorError | undefined {
	const found = findNotPlain(value, path, "client");
	if (found) return errors.invalidValue(found.path, found.what);
	if (typeof data !== "string" && mayHoldProtoKey(data) && hasRenamedProtoKey(value, 0))
		return errors.invalidValue(path, "a value with a '__proto__' key");
	return undefined;
}

/** Throws `request/invalid_value` unless `value` is plain data (see {@link findNotPlain}). */
export function assertPlainValue(value: unknown, path: string): void {
	const found = findNotPlain(value, path, "client");
	if (found) throw errors.invalidValue(found.path, found.what);
}

/**
 * Decodes actor creation input sent by a client (compat CBOR) and checks it is
 * plain data, so nothing that cannot be read back is ever stored.
 */
export function decodeUntrustedInput(bytes: Uint8Array): unknown {
	let value: unknown;
	try {
		const problem = cborProblem(bytes, true);
		if (problem !== undefined) throw new Error(problem);
		value = cborDecodeCompat(bytes);
	} catch (error) {
		throw errors.invalidInput(error instanceof Error ? error.message : String(error));
	}
	const found = findNotPlain(value, "input", "client");
	if (found) throw errors.invalidInput(`${found.path} is ${found.what}`);
	if (mayHoldProtoKey(bytes) && hasRenamedProtoKey(value, 0))
		throw errors.invalidInput("a '__proto__' key");
	return value;
}

/** Byte length of an encoded message. */
export function encodedLength(data: string | Uint8Array): number {
	return typeof data === "string" ? utf8Length(data) : data.byteLength;
}
