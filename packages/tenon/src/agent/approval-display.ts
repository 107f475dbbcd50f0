import type { Redactor } from "./redact.js";

/** The most characters of a pending call's input shown; longer inputs are cut, and say so. */
export const MAX_APPROVAL_CHARS = 16_000;

/** Characters rendered past the cut and redacted with the rest, so a secret the cut crosses is caught whole. */
const REDACT_MARGIN = 16 * 1024;

/** How deep the rendering goes; deeper values show as `"[too deep]"`. */
const MAX_DEPTH = 64;

/**
 * A high-risk call's checked input as the person deciding sees it: what the
 * tool will run with, written as JSON text, redacted, at most `maxChars`
 * characters. Plain data reads exactly as `JSON.stringify` writes it; what
 * JSON has no form for is shown faithfully rather than dropped: a Map as an
 * object (as a list of `[key, value]` entries if a key is not a string), a
 * Set as an array, a BigInt as a string of its digits, a Date as its ISO
 * time, bytes as `"<N bytes: hex…>"`, a value met again inside itself as
 * `"[circular]"`. (`JSON.stringify` showed a Map as `{}` and threw on a
 * BigInt, which failed the turn.)
 */
export function renderForApproval(
	value: unknown,
	redactor: Redactor,
	maxChars = MAX_APPROVAL_CHARS,
): string {
	const out = new BoundedText(maxChars + REDACT_MARGIN);
	render(value, out, new Set(), 0);
	// Redacted before the cut: a secret the cut crosses is replaced whole.
	const redacted = redactor.redact(out.text());
	if (!out.full && redacted.length <= maxChars) return redacted;
	return `${redacted.slice(0, maxChars)}… [cut at ${maxChars} characters]`;
}

/** Text that stops growing once it passed its budget. */
class BoundedText {
	readonly #parts: string[] = [];
	#length = 0;
	full = false;

	constructor(readonly budget: number) {}

	write(text: string): void {
		if (this.full) return;
		this.#parts.push(text);
		this.#length += text.length;
		if (this.#length > this.budget) this.full = true;
	}

	text(): string {
		return this.#parts.join("");
	}
}

function render(value: unknown, out: BoundedText, inPath: Set<object>, depth: number): void {
	if (out.full) return;
	switch (typeof value) {
		case "string":
			// No more of a long string than the budget can take.
			out.write(JSON.stringify(value.length > out.budget ? value.slice(0, out.budget) : value));
			return;
		case "number":
			// NaN and the infinities as they are (JSON would show null).
			out.write(String(value));
			return;
		case "bigint":
			out.write(`"${value}"`);
			return;
		case "boolean":
			out.write(String(value));
			return;
		case "undefined":
			out.write("null");
			return;
		case "symbol":
			out.write(JSON.stringify(String(value)));
			return;
		case "function":
			out.write('"[function]"');
			return;
		case "object":
			break;
	}
	if (value === null) {
		out.write("null");
		return;
	}
	if (inPath.has(value)) {
		out.write('"[circular]"');
		return;
	}
	if (depth >= MAX_DEPTH) {
		out.write('"[too deep]"');
		return;
	}
	if (value instanceof Date) {
		out.write(Number.isNaN(value.getTime()) ? '"Invalid Date"' : `"${value.toISOString()}"`);
		return;
	}
	if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
		out.write(JSON.stringify(describeBytes(value)));
		return;
	}
	inPath.add(value);
	try {
		renderContainer(value, out, inPath, depth);
	} finally {
		inPath.delete(value);
	}
}

function renderContainer(
	value: object,
	out: BoundedText,
	inPath: Set<object>,
	depth: number,
): void {
	const item = (inner: unknown): void => render(inner, out, inPath, depth + 1);
	if (Array.isArray(value) || value instanceof Set) {
		renderList(value, out, item);
		return;
	}
	if (value instanceof Map) {
		let stringKeys = true;
		for (const key of value.keys())
			if (typeof key !== "string") {
				stringKeys = false;
				break;
			}
		if (stringKeys) renderObject(value, out, item);
		else
			renderList(value, out, ([key, inner]: [unknown, unknown]) =>
				renderList([key, inner], out, item),
			);
		return;
	}
	const toJSON = (value as { toJSON?: unknown }).toJSON;
	if (typeof toJSON === "function") {
		let json: unknown;
		try {
			json = toJSON.call(value);
		} catch {
			json = "[unreadable]";
		}
		item(json);
		return;
	}
	renderObject(Object.entries(value), out, item);
}

function renderList<T>(items: Iterable<T>, out: BoundedText, item: (inner: T) => void): void {
	out.write("[");
	let first = true;
	for (const inner of items) {
		if (out.full) return;
		if (!first) out.write(",");
		first = false;
		item(inner);
	}
	out.write("]");
}

/** An object's entries as JSON writes them: those whose value is undefined or a function left out. */
function renderObject(
	entries: Iterable<[string, unknown]>,
	out: BoundedText,
	item: (inner: unknown) => void,
): void {
	out.write("{");
	let first = true;
	for (const [key, inner] of entries) {
		if (out.full) return;
		if (inner === undefined || typeof inner === "function") continue;
		if (!first) out.write(",");
		first = false;
		out.write(`${JSON.stringify(key)}:`);
		item(inner);
	}
	out.write("}");
}

function describeBytes(bytes: ArrayBuffer | ArrayBufferView): string {
	const view =
		bytes instanceof ArrayBuffer
			? new Uint8Array(bytes)
			: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const shown = Array.from(view.subarray(0, 64), (byte) => byte.toString(16).padStart(2, "0"));
	return `<${view.byteLength} bytes: ${shown.join("")}${view.byteLength > 64 ? "…" : ""}>`;
}
