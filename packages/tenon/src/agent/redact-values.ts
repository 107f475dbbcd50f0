// Redaction of structured values: what a turn journals besides text (a
// tool's checked input, errors thrown in a step). The workflow journal is
// readable with an inspector token, so it gets the same redaction as the
// transcript.

import { cutText } from "../common/text-cut.js";
import { ActorError } from "../protocol/errors.js";
import { MAX_PLAIN_DEPTH } from "../protocol/plain-data.js";
import type { Redactor } from "./redact.js";
import { renderJson } from "./render-json.js";

/**
 * The most objects and strings {@link holdsSecret} looks at; a value with
 * more counts as holding a secret (it is not looked at in full).
 */
export const MAX_LOOKED_AT = 1_000_000;

/**
 * True if a string in `value` (a value, an object's key, a Map's key, a
 * number written out) holds a secret. Each object is looked at once (a
 * value sharing its parts, 2^26 leaves in 27 objects, took 27 s of the
 * loop before 2026-11-25). What is nested deeper than plain data may nest,
 * or past {@link MAX_LOOKED_AT} parts, counts as holding one: it is not
 * looked at.
 */
export function holdsSecret(value: unknown, redactor: Redactor): boolean {
	const seen = new Set<object>();
	let budget = MAX_LOOKED_AT;
	const holds = (item: unknown, depth: number): boolean => {
		if (--budget < 0) return true;
		switch (typeof item) {
			case "string":
				return redactor.spans(item).length > 0;
			case "number":
			case "bigint":
				return redactor.spans(String(item)).length > 0;
			case "object":
				break;
			default:
				return false;
		}
		if (item === null || seen.has(item)) return false;
		if (depth > MAX_PLAIN_DEPTH) return true;
		seen.add(item);
		const inner = (part: unknown): boolean => holds(part, depth + 1);
		if (Array.isArray(item)) return item.some(inner);
		if (item instanceof Map) {
			for (const [key, part] of item) if (inner(key) || inner(part)) return true;
			return false;
		}
		if (item instanceof Set) {
			for (const part of item) if (inner(part)) return true;
			return false;
		}
		if (!isPlainObject(item)) return false;
		for (const [key, part] of Object.entries(item)) if (inner(key) || inner(part)) return true;
		return false;
	};
	return holds(value, 0);
}

/** How deep an error's metadata is kept; deeper parts are `"[too deep]"`. */
const MAX_METADATA_DEPTH = 32;
/** How many values of an error's metadata are kept; the rest are left out. */
const MAX_METADATA_VALUES = 10_000;
/** How much of a part of an error's metadata that is not plain data is written out. */
const MAX_RENDERED_CHARS = 2_000;

/**
 * `value` as plain data the workflow journal can store, with every string
 * (keys too) and number redacted: arrays, plain objects, Maps and Sets are
 * walked; dates and other primitives kept; bytes are `"[bytes]"`; anything
 * else (an Error, a URL, a class instance, a function) is its redacted
 * JSON text ({@link renderJson}); a value inside itself is `"[circular]"`.
 * Bounded in depth and size. `value` itself when it is plain data with
 * nothing to hide.
 *
 * An error's metadata goes through this: a tool throwing a UserError whose
 * metadata held an Error or a URL (or throwing a null-prototype object) could
 * not be journaled, so the agent's workflow failed, and no later prompt ever
 * ran, even after a restart (before 2026-11-25).
 */
export function plainRedacted(value: unknown, redactor: Redactor): unknown {
	const copies = new Map<object, unknown>();
	const inPath = new Set<object>();
	let budget = MAX_METADATA_VALUES;
	const copy = (item: unknown, depth: number): unknown => {
		switch (typeof item) {
			case "string": {
				// Well formed: the journal refuses half of a surrogate pair (a tool's error
				// metadata echoing what it read failed the conversation's workflow, 2026-11-27).
				const redacted = redactor.redact(item);
				return redacted.isWellFormed() ? redacted : redacted.toWellFormed();
			}
			case "number":
			case "bigint":
				return redactor.spans(String(item)).length > 0 ? "[redacted]" : item;
			case "boolean":
			case "undefined":
				return item;
			case "object":
				break;
			default:
				return rendered(item, redactor);
		}
		if (item === null) return item;
		if (inPath.has(item)) return "[circular]";
		if (copies.has(item)) return copies.get(item);
		let result: unknown;
		inPath.add(item);
		try {
			result = copyObject(item, depth);
		} catch {
			// A getter or a proxy that throws.
			result = "[unreadable]";
		} finally {
			inPath.delete(item);
		}
		copies.set(item, result);
		return result;
	};
	const copyObject = (item: object, depth: number): unknown => {
		if (item instanceof Date) return item;
		if (item instanceof ArrayBuffer || ArrayBuffer.isView(item)) return "[bytes]";
		if (depth >= MAX_METADATA_DEPTH) return "[too deep]";
		let changed = false;
		const inner = (part: unknown): unknown => {
			const copied = copy(part, depth + 1);
			if (!Object.is(copied, part)) changed = true;
			return copied;
		};
		// Past the budget, the rest is left out (the copy has fewer entries: changed).
		const within = (): boolean => {
			if (--budget >= 0) return true;
			changed = true;
			return false;
		};
		let result: unknown;
		if (Array.isArray(item) && Object.getPrototypeOf(item) === Array.prototype) {
			const items: unknown[] = [];
			for (let i = 0; i < item.length && within(); i++) {
				// A hole reads as undefined (what the journal gives back after a restart).
				if (!(i in item)) changed = true;
				items.push(inner(item[i]));
			}
			result = items;
		} else if (item instanceof Map) {
			const entries: [unknown, unknown][] = [];
			for (const [key, part] of item) {
				if (!within()) break;
				entries.push([inner(key), inner(part)]);
			}
			result = new Map(entries);
		} else if (item instanceof Set) {
			const parts: unknown[] = [];
			for (const part of item) {
				if (!within()) break;
				parts.push(inner(part));
			}
			result = new Set(parts);
		} else if (isPlainObject(item)) {
			// A null-prototype object is copied as a plain one (as the journal gives it back).
			if (Object.getPrototypeOf(item) === null) changed = true;
			const entries: [string, unknown][] = [];
			for (const key of Object.keys(item)) {
				if (!within()) break;
				let name = inner(key) as string;
				// Plain data has no `__proto__` key (storage refuses it).
				if (name === "__proto__") {
					name = "[__proto__]";
					changed = true;
				}
				entries.push([name, inner((item as Record<string, unknown>)[key])]);
			}
			// fromEntries defines each key as a key (an assignment to `__proto__` would set the prototype).
			result = Object.fromEntries(entries);
		} else return rendered(item, redactor);
		return changed ? result : item;
	};
	return copy(value, 0);
}

/**
 * What is not plain data, as the text of its redacted JSON rendering (a
 * string's without its quotes).
 */
function rendered(value: unknown, redactor: Redactor): string {
	const { text, cut } = renderJson(value, MAX_RENDERED_CHARS, redactor);
	if (cut) return `${cutText(text, MAX_RENDERED_CHARS)}…`;
	// Its JSON text was redacted and checked (see render-json.ts), so its decoded form shows nothing more.
	return text.startsWith('"') ? (JSON.parse(text) as string) : text;
}

/**
 * `error` with its secrets hidden where the workflow journals an error (its
 * name, message, stack, an ActorError's metadata), and in a form the journal
 * can store: metadata made plain data ({@link plainRedacted}), name,
 * message and stack strings, and anything thrown that is not an Error
 * written out as a redacted string. The same object when there is nothing
 * to change, so errors the engine tells apart (an eviction, a
 * CriticalError) stay what they are; a changed copy keeps its class, group
 * and code, but not its `cause` (which is not redacted).
 */
export function redactError(error: unknown, redactor: Redactor): unknown {
	try {
		if (!(error instanceof Error)) return describeThrown(error, redactor);
		return redactedError(error, redactor);
	} catch {
		// A proxy that throws on every read.
		return "a thrown value that cannot be read";
	}
}

function redactedError(error: Error, redactor: Redactor): Error {
	const name = readText(() => error.name, "Error");
	const message = readText(() => error.message, "");
	const stack = readText(() => error.stack, undefined);
	// Well formed too: a message with half an emoji cannot be stored (see cutText).
	const redacted = {
		name: cutText(redactor.redact(name.text)),
		message: cutText(redactor.redact(message.text)),
		stack: stack.text === undefined ? undefined : cutText(redactor.redact(stack.text)),
	};
	const metadata =
		error instanceof ActorError ? plainRedacted(error.metadata, redactor) : undefined;
	if (
		redacted.name === name.read &&
		redacted.message === message.read &&
		redacted.stack === stack.read &&
		(!(error instanceof ActorError) || metadata === error.metadata)
	)
		return error;
	const copy = Object.create(Object.getPrototypeOf(error)) as Error;
	for (const key of Reflect.ownKeys(error)) {
		if (key === "cause") continue;
		Object.defineProperty(
			copy,
			key,
			Object.getOwnPropertyDescriptor(error, key) as PropertyDescriptor,
		);
	}
	const set = (key: string, value: unknown): void => {
		Object.defineProperty(copy, key, { value, writable: true, configurable: true });
	};
	// Own data properties: a getter of the class (reading a private field) throws on a copy.
	set("name", redacted.name);
	set("message", redacted.message);
	if (redacted.stack !== undefined) set("stack", redacted.stack);
	if (error instanceof ActorError) set("metadata", metadata);
	return copy;
}

/** A property read as text: what it was (`read`), and the string to keep (`text`). */
function readText<T extends string | undefined>(
	read: () => unknown,
	otherwise: T,
): { read: unknown; text: string | T } {
	let value: unknown;
	try {
		value = read();
	} catch {
		return { read: Symbol("unreadable"), text: otherwise };
	}
	return { read: value, text: typeof value === "string" ? value : otherwise };
}

/** Anything thrown that is not an Error, as a redacted string (a string as it is, redacted). */
function describeThrown(thrown: unknown, redactor: Redactor): string {
	if (typeof thrown === "string") return cutText(redactor.redact(thrown), MAX_RENDERED_CHARS);
	return rendered(thrown, redactor);
}

function isPlainObject(value: object): boolean {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}
