// Values written out as JSON text for people and the model: a pending call's
// checked input (approval-display.ts), a tool's result (tool-result.ts) and
// what an error's metadata holds that is not plain data (redact-values.ts).
// `JSON.stringify` showed a Map or Set as `{}`, threw on a BigInt or a cycle
// (which failed a turn, or counted a tool that ran as failed) and had no
// bound on its size.

import { type Redactor, redactedHead } from "./redact.js";

/** How deep the rendering goes; deeper values show as `"[too deep]"`. */
const MAX_DEPTH = 64;

/** Stands in for what could not be read (a getter or a proxy that throws). */
const UNREADABLE = "[unreadable]";

const REDACTED = "[redacted]";

/**
 * `text` (redacted) as a JSON string; `"[redacted]"` if its escaped form
 * holds a secret (a configured secret that reads like an escape).
 */
export function jsonString(text: string, redactor: Redactor): string {
	const json = JSON.stringify(text);
	return redactor.spans(json).length === 0 ? json : JSON.stringify(REDACTED);
}

/** The redactor threw: the rendering fails (see {@link renderJson}). */
class RedactionFailed extends Error {
	constructor(cause: unknown) {
		super("redaction failed", { cause });
		this.name = "RedactionFailed";
	}
}

/** Runs the redactor's `work`, its failure marked as such (so no part is shown as unreadable instead). */
function redacting<T>(work: () => T): T {
	try {
		return work();
	} catch (error) {
		throw new RedactionFailed(error);
	}
}

/** A value written out by {@link renderJson}. */
export interface RenderedJson {
	/** The JSON text, complete unless `cut`; it may run past the budget by one string. */
	readonly text: string;
	/** True if the rendering stopped at the budget: `text` is its beginning. */
	readonly cut: boolean;
}

/**
 * `value` written as JSON text, stopping once past `budget` characters (the
 * work is bounded too: the rest of the value is not looked at). Plain data
 * reads exactly as `JSON.stringify` writes it; what JSON has no form for is
 * shown faithfully rather than dropped: a Map as an object (as a list of
 * `[key, value]` entries if a key is not a string), a Set as an array, a
 * BigInt as a string of its digits, a Date as its ISO time, bytes as
 * `"<N bytes: hex…>"`, an Error as its name, message and own fields (not
 * its stack), a value met again inside itself as `"[circular]"`.
 * A part that cannot be read (a getter, a `toJSON` or a proxy that throws)
 * is shown as `"[unreadable]"`. Redacted string by string when a `redactor`
 * is given (see {@link BoundedText.string}). Never throws, but when the
 * redactor does: then nothing of the value can be shown.
 */
export function renderJson(value: unknown, budget: number, redactor?: Redactor): RenderedJson {
	const out = new BoundedText(budget, redactor);
	render(value, out, new Set(), 0);
	return { text: out.text(), cut: out.full };
}

/** JSON text that stops growing once it passed its budget, redacted string by string. */
class BoundedText {
	readonly #parts: string[] = [];
	#length = 0;
	full = false;

	constructor(
		readonly budget: number,
		readonly redactor: Redactor | undefined,
	) {}

	/**
	 * Writes `text` as a JSON string, no more of it than the budget can take.
	 * With a redactor, each string (a value, a key, an error's message) is
	 * redacted on its own, before it is escaped, and its escaped form is
	 * checked too (a secret may read like an escape: `a\"b`). Redacting the
	 * rendered text as a whole let a pattern match from one string into
	 * another (a private key's BEGIN in one field, its END in another: the
	 * person approving saw one field, the tool ran with four), and missed a
	 * secret holding a quote or a backslash (escaped first, it no longer read
	 * as the secret), before 2026-11-25. A long string is cut where no secret
	 * can cross the cut ({@link redactedHead}).
	 */
	string(text: string): void {
		if (this.full) return;
		const redactor = this.redactor;
		if (redactor === undefined) {
			this.write(JSON.stringify(text.length > this.budget ? text.slice(0, this.budget) : text));
			return;
		}
		const head = redacting(() => redactedHead(text, redactor, this.budget));
		this.write(redacting(() => jsonString(head.text, redactor)));
		// A string cut short ends the rendering: what was written is a beginning.
		if (!head.whole) this.full = true;
	}

	/** Writes a number (or a BigInt's digits, as a string): `"[redacted]"` if it reads as a secret. */
	number(text: string, quoted: boolean): void {
		const redactor = this.redactor;
		if (redactor !== undefined && redacting(() => redactor.spans(text)).length > 0)
			this.write(JSON.stringify(REDACTED));
		else this.write(quoted ? `"${text}"` : text);
	}

	write(text: string): void {
		if (this.full) return;
		this.#parts.push(text);
		this.#length += text.length;
		if (this.#length > this.budget) this.full = true;
	}

	/** Where the text is now, to go back to with {@link rollback}. */
	mark(): [parts: number, length: number] {
		return [this.#parts.length, this.#length];
	}

	/** Drops what was written since `mark`. */
	rollback([parts, length]: [number, number]): void {
		this.#parts.length = parts;
		this.#length = length;
		this.full = length > this.budget;
	}

	text(): string {
		return this.#parts.join("");
	}
}

function render(value: unknown, out: BoundedText, inPath: Set<object>, depth: number): void {
	if (out.full) return;
	switch (typeof value) {
		case "string":
			out.string(value);
			return;
		case "number":
			// NaN and the infinities as they are (JSON would show null).
			out.number(String(value), false);
			return;
		case "bigint":
			out.number(String(value), true);
			return;
		case "boolean":
			out.write(String(value));
			return;
		case "undefined":
			out.write("null");
			return;
		case "symbol":
			out.string(String(value));
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
	// Whatever an object throws while it is read (a revoked proxy throws on
	// `instanceof`, a Map subclass in its iterator) replaces it, and only it,
	// with "[unreadable]": what it wrote so far is taken back.
	const mark = out.mark();
	try {
		renderObject(value, out, inPath, depth);
	} catch (error) {
		// Not the redactor's failure: a part hidden because redaction failed could not be told apart.
		if (error instanceof RedactionFailed) throw error;
		out.rollback(mark);
		out.write(JSON.stringify(UNREADABLE));
	}
}

function renderObject(value: object, out: BoundedText, inPath: Set<object>, depth: number): void {
	if (inPath.has(value)) {
		out.write('"[circular]"');
		return;
	}
	if (depth >= MAX_DEPTH) {
		out.write('"[too deep]"');
		return;
	}
	if (value instanceof Date) {
		out.string(Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString());
		return;
	}
	if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
		out.string(describeBytes(value));
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
		if (stringKeys) renderEntries(value, out, item);
		else
			renderList(value, out, ([key, inner]: [unknown, unknown]) =>
				renderList([key, inner], out, item),
			);
		return;
	}
	if (value instanceof Error) {
		// Its name and message are not enumerable: JSON would show `{}`.
		renderEntries(errorEntries(value), out, item);
		return;
	}
	const toJSON = (value as { toJSON?: unknown }).toJSON;
	if (typeof toJSON === "function") {
		let json: unknown;
		try {
			json = toJSON.call(value);
		} catch {
			json = UNREADABLE;
		}
		item(json);
		return;
	}
	renderEntries(ownEntries(value), out, item);
}

/** An error's name and message, then its own enumerable entries (a code, say); not its stack. */
function* errorEntries(error: Error): Generator<[string, unknown]> {
	for (const key of ["name", "message"] as const) {
		let inner: unknown;
		try {
			inner = error[key];
		} catch {
			inner = UNREADABLE;
		}
		yield [key, inner];
	}
	for (const entry of ownEntries(error))
		if (entry[0] !== "name" && entry[0] !== "message") yield entry;
}

/** An object's own enumerable entries, as `Object.entries` gives them; one whose getter throws reads as "[unreadable]". */
function* ownEntries(value: object): Generator<[string, unknown]> {
	for (const key of Object.keys(value)) {
		let inner: unknown;
		try {
			inner = (value as Record<string, unknown>)[key];
		} catch {
			inner = UNREADABLE;
		}
		yield [key, inner];
	}
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
function renderEntries(
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
		out.string(key);
		out.write(":");
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
