// Redaction of structured values: what a turn journals besides text (a tool
// call's parsed arguments, a tool's checked input, errors thrown in a step).
// The workflow journal is readable with an inspector token, so it gets the
// same redaction as the transcript.

import { ActorError } from "../protocol/errors.js";
import { MAX_PLAIN_DEPTH } from "../protocol/plain-data.js";
import type { Redactor } from "./redact.js";

/** Stands in, in a redacted copy, for what is nested deeper than plain data may nest. */
const TOO_DEEP = "[too deep]";

/**
 * True if a string in `value` (a value, an object's key, a Map's key, a
 * number written out) holds a secret. What is nested deeper than plain data
 * may nest counts as holding one: it is not looked at.
 */
export function holdsSecret(value: unknown, redactor: Redactor, depth = 0): boolean {
	switch (typeof value) {
		case "string":
			return redactor.spans(value).length > 0;
		case "number":
		case "bigint":
			return redactor.spans(String(value)).length > 0;
		case "object":
			break;
		default:
			return false;
	}
	if (value === null) return false;
	if (depth > MAX_PLAIN_DEPTH) return true;
	const holds = (item: unknown): boolean => holdsSecret(item, redactor, depth + 1);
	if (Array.isArray(value)) return value.some(holds);
	if (value instanceof Map) {
		for (const [key, item] of value) if (holds(key) || holds(item)) return true;
		return false;
	}
	if (value instanceof Set) {
		for (const item of value) if (holds(item)) return true;
		return false;
	}
	if (!isPlainObject(value)) return false;
	for (const [key, item] of Object.entries(value)) if (holds(key) || holds(item)) return true;
	return false;
}

/**
 * A copy of `value` with every string (keys too) redacted, or `value` itself
 * when nothing in it is secret. Arrays, plain objects, Maps and Sets are
 * walked; anything else is kept as it is.
 */
export function redactValue(value: unknown, redactor: Redactor, depth = 0): unknown {
	switch (typeof value) {
		case "string":
			return redactor.redact(value);
		case "number":
		case "bigint":
			return holdsSecret(value, redactor) ? "[redacted]" : value;
		case "object":
			break;
		default:
			return value;
	}
	if (value === null) return value;
	if (depth > MAX_PLAIN_DEPTH) return TOO_DEEP;
	let changed = false;
	const redact = (item: unknown): unknown => {
		const redacted = redactValue(item, redactor, depth + 1);
		if (redacted !== item) changed = true;
		return redacted;
	};
	let copy: unknown;
	if (Array.isArray(value)) copy = value.map(redact);
	else if (value instanceof Map)
		copy = new Map([...value].map(([key, item]) => [redact(key), redact(item)]));
	else if (value instanceof Set) copy = new Set([...value].map(redact));
	else if (isPlainObject(value))
		// fromEntries defines a `__proto__` key as a key (an assignment would set the prototype).
		copy = Object.fromEntries(
			Object.entries(value).map(([key, item]) => [redact(key), redact(item)]),
		);
	else return value;
	return changed ? copy : value;
}

/**
 * A tool call's arguments (the model's JSON text) as the transcript and the
 * journal keep them: redacted as text, or, when the parsed arguments hold a
 * secret the text does not show (JSON escapes: `"\u0073k-..."`), written out
 * again from the parsed value with its strings redacted.
 */
export function redactArguments(rawArguments: string, redactor: Redactor): string {
	let parsed: unknown;
	try {
		parsed = JSON.parse(rawArguments);
	} catch {
		return redactor.redact(rawArguments);
	}
	if (!holdsSecret(parsed, redactor)) return redactor.redact(rawArguments);
	return redactor.redact(JSON.stringify(redactValue(parsed, redactor)) ?? "null");
}

/**
 * `error` with its secrets hidden where the workflow journals an error (its
 * message, its stack, an ActorError's metadata). The same object when there
 * is nothing to hide, so errors the engine tells apart (an eviction, a
 * CriticalError) stay what they are; a redacted copy keeps its class, group
 * and code, but not its `cause` (which is not redacted).
 */
export function redactError(error: unknown, redactor: Redactor): unknown {
	if (!(error instanceof Error)) {
		const text = describeThrown(error);
		const redacted = redactor.redact(text);
		return redacted === text ? error : redacted;
	}
	const message = redactor.redact(error.message);
	const stack = error.stack === undefined ? undefined : redactor.redact(error.stack);
	const metadata = error instanceof ActorError ? redactValue(error.metadata, redactor) : undefined;
	if (
		message === error.message &&
		stack === error.stack &&
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
	set("message", message);
	if (stack !== undefined) set("stack", stack);
	if (error instanceof ActorError) set("metadata", metadata);
	return copy;
}

function describeThrown(thrown: unknown): string {
	try {
		return String(thrown);
	} catch {
		return "a value that cannot be written out";
	}
}

function isPlainObject(value: object): boolean {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}
