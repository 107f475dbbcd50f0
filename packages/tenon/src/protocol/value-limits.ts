// How large a value from a client may be in parts, not bytes: decoding and
// checking cost time and memory per item, and the body limit (20 MiB) alone
// let one request hold ten million empty arrays, which froze the server for
// about ten seconds and took over a gigabyte (found by an attacker probe on
// 2026-11-24). Counted before decoding: by the CBOR guard in its one pass over
// the bytes, and by {@link jsonProblem} over JSON text.

/** Most items (values of any kind, map keys included) in one value from a client. */
export const MAX_VALUE_ITEMS = 1_000_000;
/** Most arrays and maps (objects) in one value from a client. */
export const MAX_VALUE_CONTAINERS = 100_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Why JSON `text` from a client may not be parsed, or undefined. Counts, out
 * of strings, the containers it opens (`[`, `{`) and its items: a comma
 * separates two, and a colon follows a key, which counts as an item as in
 * CBOR (a container's first item has no comma, so the count is at most one
 * per container low). Tagged values (`["$BigInt", "7"]`) are arrays in JSON
 * and count as containers, unlike their CBOR tags. Malformed text is left to
 * `JSON.parse`.
 */
export function jsonProblem(text: string): string | undefined {
	// A text this short cannot exceed either limit.
	if (text.length <= MAX_VALUE_CONTAINERS) return undefined;
	let containers = 0;
	let separators = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (inString) {
			if (code === BACKSLASH) i++;
			else if (code === QUOTE) inString = false;
		} else if (code === QUOTE) inString = true;
		else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
			if (++containers > MAX_VALUE_CONTAINERS) return containersProblem();
		} else if ((code === COMMA || code === COLON) && ++separators >= MAX_VALUE_ITEMS)
			return itemsProblem();
	}
	return undefined;
}

export function containersProblem(): string {
	return `more than ${MAX_VALUE_CONTAINERS.toLocaleString("en")} arrays and maps in one value`;
}

export function itemsProblem(): string {
	return `more than ${MAX_VALUE_ITEMS.toLocaleString("en")} items in one value`;
}
