// What the inspector shows of what clients sent to connect: the shape, not
// the values. Connection params are where clients put their credentials (a
// `{ token }`, as the examples and RivetKit's docs do, but also a `pin`, a
// `passphrase`, an opaque ticket under any name), and they are stored with the
// connection: shown as they were, the read-only inspector token let its holder
// act as any connected user (an attacker probe, 2026-11-25). A first version
// redacted values under names that looked like credentials; a review listed a
// dozen common names it missed. So no value is shown: keys and types are.

/** Nesting shown (deeper values are described whole). */
const MAX_DEPTH = 16;

/**
 * `value` with every string and number replaced by a description of it
 * (`"[string, 12 chars]"`, `"[number]"`): objects and arrays keep their keys
 * and lengths, booleans and null are shown.
 */
export function paramsShape(value: unknown, depth = 0): unknown {
	// None sent: nothing to describe (a connection without params read `"[undefined]"`).
	if (value === undefined && depth === 0) return undefined;
	if (value === null || typeof value === "boolean") return value;
	if (typeof value === "string") return `[string, ${value.length} chars]`;
	if (typeof value !== "object") return `[${typeof value}]`;
	if (depth >= MAX_DEPTH) return Array.isArray(value) ? "[array]" : "[object]";
	if (Array.isArray(value)) return value.map((item) => paramsShape(item, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) out[key] = paramsShape(item, depth + 1);
	return out;
}

/** A socket's URL with the value of every query parameter hidden (`?room=[redacted]`). */
export function redactUrl(url: string): string {
	const query = url.indexOf("?");
	if (query === -1) return url;
	const params = new URLSearchParams(url.slice(query + 1));
	const hidden = new URLSearchParams();
	for (const [key] of params) hidden.append(key, "[redacted]");
	return `${url.slice(0, query)}?${hidden}`;
}
