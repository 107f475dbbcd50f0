// A bounded, plain-JSON picture of any value an actor produced (event
// arguments, timer arguments), for the inspector: whatever the value holds,
// the preview is small, has no cycles and renders as text. Long strings,
// large arrays and objects, deep nesting and binary data are cut, and each
// cut says so, so hostile or huge values never reach a browser whole.

import { mapKeyName } from "../protocol/json-compat.js";

/** Limits of {@link previewValue}. */
export interface PreviewLimits {
	/** Characters kept of a string. */
	readonly maxString: number;
	/** Items kept of an array (keys of an object). */
	readonly maxItems: number;
	/** Levels of nesting shown. */
	readonly maxDepth: number;
	/** Bytes of binary data shown (as hex). */
	readonly maxBytes: number;
	/** Nodes visited in total, so a wide and deep value stays cheap. */
	readonly maxNodes: number;
	/**
	 * Characters of strings and keys kept in total: 300 nodes of 500
	 * characters were 150,000, and 900 KB of JSON when each was a control
	 * character (escaped in six): a queue view of 1,000 such bodies answered
	 * 393 MB and stalled the server 5 s (an attacker probe, 2026-11-28).
	 */
	readonly maxChars: number;
}

/** The inspector's default limits: about 10 KiB of JSON at most. */
export const DEFAULT_PREVIEW_LIMITS: PreviewLimits = {
	maxString: 500,
	maxItems: 50,
	maxDepth: 6,
	maxBytes: 64,
	maxNodes: 300,
	maxChars: 4_000,
};

/** A preview and whether anything was cut from it. */
export interface ValuePreview {
	readonly value: unknown;
	readonly truncated: boolean;
}

/**
 * A bounded plain-JSON copy of `value`. Cut strings end with `…(+N chars)`;
 * binary data becomes `{ $bytes: <hex>, length }`; a cut array ends with
 * `"…(+N items)"`; a cut object gets a `"…"` key with how many keys were left
 * out; what is nested too deep or beyond the node budget becomes `"…"`.
 */
export function previewValue(
	value: unknown,
	limits: PreviewLimits = DEFAULT_PREVIEW_LIMITS,
): ValuePreview {
	let nodes = 0;
	let chars = 0;
	let truncated = false;
	/** `text` within the string limit and what is left of the characters' budget. */
	const cut = (text: string, max: number): string => {
		const room = Math.max(0, Math.min(max, limits.maxChars - chars));
		if (text.length <= room) {
			chars += text.length;
			return text;
		}
		truncated = true;
		chars += room;
		return `${text.slice(0, room)}…(+${text.length - room} chars)`;
	};
	const seen = new Set<object>();
	const walk = (item: unknown, depth: number): unknown => {
		if (++nodes > limits.maxNodes) {
			truncated = true;
			return "…";
		}
		switch (typeof item) {
			case "string":
				return cut(item, limits.maxString);
			case "number":
				return Number.isFinite(item) ? item : String(item);
			case "boolean":
				return item;
			case "bigint":
				return `${item}n`;
			case "undefined":
				return null;
			case "symbol":
			case "function":
				return `[${typeof item}]`;
			case "object":
				break;
		}
		if (item === null) return null;
		const object = item as object;
		if (object instanceof Uint8Array || object instanceof ArrayBuffer) {
			const bytes = object instanceof Uint8Array ? object : new Uint8Array(object);
			if (bytes.byteLength > limits.maxBytes) truncated = true;
			return {
				$bytes: Buffer.from(bytes.subarray(0, limits.maxBytes)).toString("hex"),
				length: bytes.byteLength,
			};
		}
		if (object instanceof Date) return object.toISOString();
		if (depth >= limits.maxDepth || seen.has(object)) {
			truncated = true;
			return "…";
		}
		seen.add(object);
		try {
			if (Array.isArray(object) || object instanceof Set) {
				const items = [...(object as Iterable<unknown>)];
				const shown = items.slice(0, limits.maxItems).map((inner) => walk(inner, depth + 1));
				if (items.length > limits.maxItems) {
					truncated = true;
					shown.push(`…(+${items.length - limits.maxItems} items)`);
				}
				return shown;
			}
			const entries =
				object instanceof Map
					? [...object.entries()].map(([key, inner]) => [mapKeyName(key), inner] as const)
					: Object.entries(object);
			const shown: Record<string, unknown> = {};
			for (const [key, inner] of entries.slice(0, limits.maxItems)) {
				const name = cut(key, limits.maxString);
				// Defined, not assigned: a `__proto__` key stays a key.
				Object.defineProperty(shown, name, {
					value: walk(inner, depth + 1),
					enumerable: true,
					writable: true,
					configurable: true,
				});
			}
			if (entries.length > limits.maxItems) {
				truncated = true;
				shown["…"] = `+${entries.length - limits.maxItems} keys`;
			}
			return shown;
		} finally {
			seen.delete(object);
		}
	};
	try {
		const preview = walk(value, 0);
		return { value: preview, truncated };
	} catch {
		// A getter or proxy that throws: show that the value could not be read.
		return { value: "[unreadable]", truncated: true };
	}
}
