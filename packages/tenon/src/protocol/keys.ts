import { utf8Length } from "./bytes.js";
import { errors } from "./errors.js";
import type { Limits } from "./limits.js";

/**
 * An actor key: a string or a list of strings. Omitted means the singleton key
 * `[]`. Keys are data: they are never used as paths or code.
 */
export type ActorKey = string | readonly string[];

/**
 * Normalizes a user key to its component list. Throws `request/invalid_key`
 * for a component with a lone surrogate: URLs and JSON would silently turn it
 * into U+FFFD and address another actor.
 */
export function normalizeKey(key: ActorKey | undefined): string[] {
	if (key === undefined) return [];
	// From JavaScript without types a key may be anything: a number threw a bare
	// `TypeError: key is not iterable` (a docs walkthrough, 2026-11-28).
	if (typeof key !== "string" && !Array.isArray(key))
		throw errors.invalidKey("must be a string or an array of strings");
	const parts = typeof key === "string" ? [key] : [...key];
	for (const part of parts) {
		if (typeof part !== "string") throw errors.invalidKey("every component must be a string");
		if (hasLoneSurrogate(part))
			throw errors.invalidKey("a component is not well-formed Unicode (a lone surrogate)");
	}
	return parts;
}

// A UTF-16 surrogate without its partner. Such strings have no UTF-8 form:
// encoders replace them with U+FFFD, so ["\ud800"] and ["\uFFFD"] would
// reach the same actor. The pattern is for browsers without `isWellFormed`
// (the client runs there too: Safari before 16.4, Chrome before 111).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds a lone surrogate (it has no exact UTF-8 form). */
export function hasLoneSurrogate(text: string): boolean {
	// Constant time for one-byte strings, under a nanosecond a unit otherwise.
	return typeof text.isWellFormed === "function" ? !text.isWellFormed() : LONE_SURROGATE.test(text);
}

/**
 * Throws `request/invalid_key` unless `key` is a list of well-formed strings
 * within the limits.
 */
export function validateKey(
	key: unknown,
	limits: Pick<Limits, "maxKeyComponentBytes" | "maxKeyBytes" | "maxKeyComponents">,
): string[] {
	if (!Array.isArray(key)) throw errors.invalidKey("must be a string or an array of strings");
	if (key.length > limits.maxKeyComponents)
		throw errors.invalidKey(
			`the key has ${key.length} components (limit ${limits.maxKeyComponents})`,
		);
	let total = 0;
	for (const component of key) {
		if (typeof component !== "string") throw errors.invalidKey("every component must be a string");
		if (hasLoneSurrogate(component))
			throw errors.invalidKey("a component is not well-formed Unicode (a lone surrogate)");
		const bytes = utf8Length(component);
		if (bytes > limits.maxKeyComponentBytes) {
			throw errors.invalidKey(
				`a component is ${bytes} bytes (limit ${limits.maxKeyComponentBytes})`,
			);
		}
		total += bytes;
	}
	if (total > limits.maxKeyBytes)
		throw errors.invalidKey(`the key is ${total} bytes (limit ${limits.maxKeyBytes})`);
	return key as string[];
}

const EMPTY_KEY = "/";

/**
 * The REST form of a key: components joined by `/`, with `\` and `/` escaped
 * by `\`, an empty component written `\0`, and the empty key written `/`.
 */
export function serializeKey(key: readonly string[]): string {
	if (key.length === 0) return EMPTY_KEY;
	return key
		.map((part) => (part === "" ? "\\0" : part.replace(/\\/g, "\\\\").replace(/\//g, "\\/")))
		.join("/");
}

/**
 * Parses the REST form of a key. Only the canonical form is accepted (an
 * empty component is exactly `\0`, nothing else is empty), so two texts never
 * name the same key. Throws `request/invalid_key` otherwise.
 */
export function deserializeKey(text: string): string[] {
	if (text === EMPTY_KEY) return [];
	const parts: string[] = [];
	let current = "";
	let emptyMarker = false;
	const finish = () => {
		if (emptyMarker) {
			if (current !== "") throw errors.invalidKey("'\\0' must be a whole component");
			parts.push("");
		} else {
			if (current === "") throw errors.invalidKey("an empty component must be written '\\0'");
			parts.push(current);
		}
		current = "";
		emptyMarker = false;
	};
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (char === "\\") {
			const next = text[i + 1];
			i++;
			if (next === "0") {
				if (current !== "" || emptyMarker)
					throw errors.invalidKey("'\\0' must be a whole component");
				emptyMarker = true;
			} else if (next === "\\" || next === "/") {
				if (emptyMarker) throw errors.invalidKey("'\\0' must be a whole component");
				current += next;
			} else throw errors.invalidKey("bad escape sequence");
		} else if (char === "/") {
			finish();
		} else {
			if (emptyMarker) throw errors.invalidKey("'\\0' must be a whole component");
			current += char;
		}
	}
	finish();
	return parts;
}

/**
 * Parses the gateway query form `rvt-key`: components joined by `,` with no
 * escaping (RivetKit's client format). Absent means the empty key. A component
 * containing `,` cannot be expressed this way; Tenon's client resolves such
 * keys through REST instead.
 */
export function parseQueryKey(value: string | null): string[] {
	if (value === null) return [];
	return value.split(",");
}

/** True when a key can be sent in the `rvt-key` query form without ambiguity. */
export function isQueryKeySafe(key: readonly string[]): boolean {
	return key.every((part) => !part.includes(","));
}
