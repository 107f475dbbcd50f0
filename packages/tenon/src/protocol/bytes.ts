// Byte helpers shared by server and client. The client runs in browsers, so
// nothing here may require Node's Buffer; Node takes the faster Buffer path.

const hasBuffer = typeof Buffer !== "undefined";
const textEncoder = new TextEncoder();

/** Standard base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
	if (hasBuffer)
		return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
	let binary = "";
	for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] ?? 0);
	return btoa(binary);
}

/** Decodes standard or URL-safe base64 (padding optional). Throws on invalid input. */
export function base64ToBytes(text: string): Uint8Array {
	const normalized = text.replace(/-/g, "+").replace(/_/g, "/");
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) throw new Error("invalid base64");
	if (hasBuffer) return new Uint8Array(Buffer.from(normalized, "base64"));
	const padded = normalized + "=".repeat((4 - (normalized.length % 4)) % 4);
	const binary = atob(padded);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

/** URL-safe base64 without padding. */
export function bytesToBase64Url(bytes: Uint8Array): string {
	return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
	if (hasBuffer) return Buffer.byteLength(text, "utf8");
	return textEncoder.encode(text).byteLength;
}

/** UTF-8 bytes of a string. */
export function utf8Encode(text: string): Uint8Array {
	return textEncoder.encode(text);
}

/**
 * Concatenates byte arrays. An array, not rest parameters: a request body
 * arrives in as many chunks as its sender chooses (chunked encoding with
 * one byte per chunk), and spreading 130,000 of them as arguments throws
 * `RangeError` from the stack, which ended the process where it ran in a
 * stream callback (a review, 2026-11-26).
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}
