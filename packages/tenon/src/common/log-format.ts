import type { LogFields } from "./logger.js";

/** How the default sink writes a line: one JSON object, or a readable line for a terminal. */
export type LogFormat = "json" | "pretty";

/** A level that is written (not `silent`). */
export type WrittenLevel = "debug" | "info" | "warn" | "error";

/** Fields the JSON line writes first, in this order (when present). */
const LEADING_FIELDS = ["actor", "key", "actorId", "requestId"] as const;
/** Names the line itself uses; a field of that name is written as `field.<name>`. */
const RESERVED = new Set(["time", "level", "module", "msg"]);
const MAX_DEPTH = 8;
const MAX_STRING = 8192;

/**
 * A copy of `value` that `JSON.stringify` takes without throwing and without
 * losing what matters in a log: errors keep name, message, stack, code and
 * cause; bigints become strings; circular references, functions and symbols
 * become markers; getters that throw are skipped.
 */
export function toLogValue(value: unknown, ancestors: unknown[] = []): unknown {
	switch (typeof value) {
		case "string":
			return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
		case "number":
			return Number.isFinite(value) ? value : String(value);
		case "boolean":
			return value;
		case "bigint":
			return value.toString();
		case "undefined":
			return undefined;
		case "symbol":
			return value.toString();
		case "function":
			return `[Function ${value.name || "anonymous"}]`;
		case "object":
			return objectValue(value, ancestors);
	}
}

function objectValue(value: object | null, ancestors: unknown[]): unknown {
	if (value === null) return null;
	if (ancestors.includes(value)) return "[Circular]";
	if (ancestors.length >= MAX_DEPTH) return "[Too deep]";
	ancestors.push(value);
	try {
		if (value instanceof Error) return errorValue(value, ancestors);
		if (value instanceof Date)
			return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
		if (value instanceof Uint8Array) return `[Uint8Array ${value.byteLength} bytes]`;
		if (Array.isArray(value)) return value.map((item) => toLogValue(item, ancestors) ?? null);
		if (value instanceof Map) {
			return [...value].map(([k, v]) => [toLogValue(k, ancestors), toLogValue(v, ancestors)]);
		}
		if (value instanceof Set) return [...value].map((item) => toLogValue(item, ancestors));
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(value)) {
			try {
				const item = toLogValue((value as Record<string, unknown>)[key], ancestors);
				if (item !== undefined) out[key] = item;
			} catch {
				out[key] = "[Unreadable]";
			}
		}
		return out;
	} finally {
		ancestors.pop();
	}
}

function errorValue(error: Error, ancestors: unknown[]): Record<string, unknown> {
	const out: Record<string, unknown> = { name: error.name, message: error.message };
	const extra = error as Error & { code?: unknown; group?: unknown; cause?: unknown };
	if (extra.group !== undefined) out.group = toLogValue(extra.group, ancestors);
	if (extra.code !== undefined) out.code = toLogValue(extra.code, ancestors);
	if (error.stack !== undefined) out.stack = error.stack;
	if (extra.cause !== undefined) out.cause = toLogValue(extra.cause, ancestors);
	return out;
}

/**
 * One JSON line (without the newline): `time`, `level`, `module`, `msg`, then
 * `actor`, `key`, `actorId`, `requestId`, then the other fields. Never throws;
 * control characters in any string are escaped by JSON itself.
 */
export function formatJsonLine(
	time: number,
	level: WrittenLevel,
	message: string,
	fields: LogFields,
): string {
	const line: Record<string, unknown> = {
		time: new Date(time).toISOString(),
		level,
		module: typeof fields.module === "string" ? fields.module : undefined,
		msg: String(message),
	};
	for (const name of LEADING_FIELDS) {
		if (fields[name] !== undefined) line[name] = toLogValue(fields[name]);
	}
	for (const [name, value] of orderedFields(fields)) line[name] = toLogValue(value);
	try {
		return escapeLineSeparators(JSON.stringify(line));
	} catch (error) {
		return JSON.stringify({ time: line.time, level, msg: line.msg, logError: String(error) });
	}
}

/** The fields after the leading ones, renamed when they collide with the line's own names. */
function* orderedFields(fields: LogFields): Generator<[string, unknown]> {
	for (const name of Object.keys(fields)) {
		if (name === "module" || (LEADING_FIELDS as readonly string[]).includes(name)) continue;
		const value = fields[name];
		if (value === undefined) continue;
		yield [RESERVED.has(name) ? `field.${name}` : name, value];
	}
}

// JSON escapes C0 controls itself. U+2028/U+2029 end lines in some readers, and C1
// controls (CSI is U+009B) and bidirectional overrides act on a terminal that shows
// the line (\`tail -f\`); all of them only occur inside strings, where an escape is valid.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
function escapeLineSeparators(json: string): string {
	return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides:
// none may reach a terminal raw (a newline forges a line, ESC or CSI recolours or moves it).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** A plain value needs no quotes: no space, quote, `=`, backslash or unsafe character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const BARE_VALUE = /^[^\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+$/;

/** `text` with every control character written as an escape (`\n`, `\u001b`). */
export function escapeControl(text: string): string {
	return text.replace(UNSAFE_CHARS, (c) => {
		switch (c) {
			case "\n":
				return "\\n";
			case "\r":
				return "\\r";
			case "\t":
				return "\\t";
			default:
				return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
		}
	});
}

function prettyValue(value: unknown): string {
	const safe = toLogValue(value);
	if (typeof safe === "string") {
		return BARE_VALUE.test(safe) ? safe : escapeControl(JSON.stringify(safe));
	}
	if (
		safe !== null &&
		typeof safe === "object" &&
		!Array.isArray(safe) &&
		typeof (safe as { stack?: unknown }).stack === "string"
	) {
		// An error: its stack on following lines reads better, but one line per entry is the rule.
		return escapeControl(JSON.stringify((safe as { stack: string }).stack));
	}
	return escapeControl(JSON.stringify(safe) ?? String(safe));
}

const COLOURS: Record<WrittenLevel, string> = {
	debug: "\u001b[90m",
	info: "\u001b[32m",
	warn: "\u001b[33m",
	error: "\u001b[31m",
};
const DIM = "\u001b[2m";
const RESET = "\u001b[0m";

function clockTime(time: number): string {
	const date = new Date(time);
	const pad = (n: number, width = 2) => String(n).padStart(width, "0");
	return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * A readable line (without the newline): local time, level, module, message,
 * then `name=value` fields. Every untrusted character is escaped, so a value
 * cannot start a new line or move the cursor. Never throws.
 */
export function formatPrettyLine(
	time: number,
	level: WrittenLevel,
	message: string,
	fields: LogFields,
	colour: boolean,
): string {
	try {
		const module = typeof fields.module === "string" ? escapeControl(fields.module) : "";
		const label = level.toUpperCase().padEnd(5);
		let line = colour
			? `${DIM}${clockTime(time)}${RESET} ${COLOURS[level]}${label}${RESET} ${DIM}${module.padEnd(8)}${RESET} ${escapeControl(String(message))}`
			: `${clockTime(time)} ${label} ${module.padEnd(8)} ${escapeControl(String(message))}`;
		for (const name of LEADING_FIELDS) {
			if (fields[name] !== undefined) line += field(name, fields[name], colour);
		}
		for (const [name, value] of orderedFields(fields)) line += field(name, value, colour);
		return line;
	} catch (error) {
		return `${clockTime(time)} ${level.toUpperCase()} (unprintable log line: ${escapeControl(String(error))})`;
	}
}

function field(name: string, value: unknown, colour: boolean): string {
	const shownName = escapeControl(name);
	return colour
		? ` ${DIM}${shownName}=${RESET}${prettyValue(value)}`
		: ` ${shownName}=${prettyValue(value)}`;
}
