// What the inspector shows of values clients sent to authenticate: nothing.
// Connection params are where clients put their tokens (`{ token }`, as the
// examples and RivetKit's docs do), and they are stored with the connection;
// shown as they were, the read-only inspector token let its holder act as any
// connected user (an attacker probe, 2026-11-25).

/** Parts of a key that name a credential (matched without case, `_` and `-`). */
const CREDENTIAL_KEY =
	/(token|secret|passw|pwd|^auth$|authoriz|authkey|credential|session|cookie|apikey|privatekey|signature|jwt|bearer|^otp$)/;

/** Values that are credentials whatever their key: a JWT, or a bearer or basic authorization. */
const CREDENTIAL_VALUE = /^(?:ey[\w-]+\.[\w-]+\.[\w-]*|(?:bearer|basic)\s+\S+)$/i;

/** What a redacted value reads as. */
export const REDACTED = "[redacted]";

/** Nesting the redaction walks (deeper values are replaced whole). */
const MAX_DEPTH = 32;

/** True when `key` names a credential (`token`, `apiKey`, `x-session-id`, `password`...). */
export function isCredentialKey(key: string): boolean {
	return CREDENTIAL_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ""));
}

/**
 * `value` with every credential replaced by {@link REDACTED}: values under a
 * key that names one, and strings shaped like one. Other values are kept, so
 * an operator still sees who connected with what options.
 */
export function redactCredentials(value: unknown, depth = 0): unknown {
	if (typeof value === "string") return CREDENTIAL_VALUE.test(value.trim()) ? REDACTED : value;
	if (value === null || typeof value !== "object") return value;
	if (depth >= MAX_DEPTH) return REDACTED;
	if (Array.isArray(value)) return value.map((item) => redactCredentials(item, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, item] of Object.entries(value)) {
		out[key] = isCredentialKey(key) ? REDACTED : redactCredentials(item, depth + 1);
	}
	return out;
}

/** A socket's URL with the values of credential-named query parameters redacted. */
export function redactUrl(url: string): string {
	const query = url.indexOf("?");
	if (query === -1) return url;
	const params = new URLSearchParams(url.slice(query + 1));
	let changed = false;
	for (const [key, item] of [...params]) {
		if (isCredentialKey(key) || CREDENTIAL_VALUE.test(item)) {
			params.set(key, REDACTED);
			changed = true;
		}
	}
	return changed ? `${url.slice(0, query)}?${params}` : url;
}
