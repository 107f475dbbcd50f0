import { utf8Length } from "./bytes.js";
import { errors } from "./errors.js";
import type { Limits } from "./limits.js";

/**
 * An actor key: a string or a list of strings. Omitted means the singleton key
 * `[]`. Keys are data: they are never used as paths or code.
 */
export type ActorKey = string | readonly string[];

/** Normalizes a user key to its component list. */
export function normalizeKey(key: ActorKey | undefined): string[] {
	if (key === undefined) return [];
	if (typeof key === "string") return [key];
	return [...key];
}

/** Throws `request/invalid_key` unless `key` is a list of strings within the limits. */
export function validateKey(
	key: unknown,
	limits: Pick<Limits, "maxKeyComponentBytes" | "maxKeyBytes">,
): string[] {
	if (!Array.isArray(key)) throw errors.invalidKey("must be a string or an array of strings");
	let total = 0;
	for (const component of key) {
		if (typeof component !== "string") throw errors.invalidKey("every component must be a string");
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

/** Parses the REST form of a key. Throws `request/invalid_key` on a malformed escape. */
export function deserializeKey(text: string): string[] {
	if (text === EMPTY_KEY) return [];
	const parts: string[] = [];
	let current = "";
	let emptyMarker = false;
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (char === "\\") {
			const next = text[i + 1];
			i++;
			if (next === "0") emptyMarker = true;
			else if (next === "\\" || next === "/") current += next;
			else throw errors.invalidKey("bad escape sequence");
		} else if (char === "/") {
			parts.push(emptyMarker && current === "" ? "" : current);
			current = "";
			emptyMarker = false;
		} else {
			current += char;
		}
	}
	parts.push(emptyMarker && current === "" ? "" : current);
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
