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
/** The longest string written: a longer one is cut, ending in `…`. */
const MAX_STRING = 8192;
/** Items of one array, map or set (and keys of one object, fields of one line) written. */
const MAX_ITEMS = 1000;
/**
 * What the values of one line may take, in characters (a scalar counts as
 * {@link SCALAR_COST}): past it, strings and containers are written as `…`
 * and a container's other items as one `… N more`. So a line stays within a
 * few hundred kilobytes and is made in a bounded time, whatever it holds: a
 * client's million arguments, an object of 200,000 keys, a sparse array.
 */
const LINE_BUDGET = 32_768;
const SCALAR_COST = 8;

/** What is left of one line's {@link LINE_BUDGET}. */
export interface LogBudget {
	left: number;
}

/** A fresh budget for one line. */
export function lineBudget(): LogBudget {
	return { left: LINE_BUDGET };
}

/** `text`, cut to what the budget and {@link MAX_STRING} allow (ending in `…` when cut). */
function cut(text: string, budget: LogBudget): string {
	const room = Math.max(0, Math.min(MAX_STRING, budget.left));
	if (text.length <= room) {
		budget.left -= text.length + 1;
		return text;
	}
	budget.left -= room + 1;
	return `${text.slice(0, room)}…`;
}

/** What stands for the `count` items of a container left out. */
function moreItems(count: number): string {
	return `… ${count} more`;
}

/**
 * A copy of `value` that `JSON.stringify` takes without throwing and without
 * losing what matters in a log: errors keep name, message, stack, code and
 * cause; bigints become strings; circular references, functions and symbols
 * become markers; getters that throw are written as `[Unreadable]`. What
 * `budget` does not cover is cut (see {@link LINE_BUDGET}).
 */
export function toLogValue(
	value: unknown,
	budget: LogBudget = lineBudget(),
	ancestors: unknown[] = [],
): unknown {
	switch (typeof value) {
		case "string":
			return cut(value, budget);
		case "number":
			budget.left -= SCALAR_COST;
			return Number.isFinite(value) ? value : String(value);
		case "boolean":
			budget.left -= SCALAR_COST;
			return value;
		case "bigint":
			return cut(value.toString(), budget);
		case "undefined":
			return undefined;
		case "symbol":
			return cut(value.toString(), budget);
		case "function":
			return cut(`[Function ${value.name || "anonymous"}]`, budget);
		case "object":
			return objectValue(value, budget, ancestors);
	}
}

/** {@link toLogValue}, or `[Unreadable]` when reading `value` throws (a getter, a proxy). */
function readableValue(value: unknown, budget: LogBudget, ancestors: unknown[]): unknown {
	try {
		return toLogValue(value, budget, ancestors);
	} catch {
		budget.left -= SCALAR_COST;
		return "[Unreadable]";
	}
}

/** `object[key]`, as {@link readableValue} writes it (reading it may throw too). */
function readableProperty(
	object: object,
	key: string,
	budget: LogBudget,
	ancestors: unknown[],
): unknown {
	try {
		return toLogValue((object as Record<string, unknown>)[key], budget, ancestors);
	} catch {
		budget.left -= SCALAR_COST;
		return "[Unreadable]";
	}
}

function objectValue(value: object | null, budget: LogBudget, ancestors: unknown[]): unknown {
	if (value === null) return null;
	if (budget.left <= 0) return "…";
	// Markers count too: an array shared a million times over is a million of them.
	if (ancestors.includes(value)) return cut("[Circular]", budget);
	if (ancestors.length >= MAX_DEPTH) return cut("[Too deep]", budget);
	budget.left -= 2;
	ancestors.push(value);
	try {
		if (value instanceof Error) return errorValue(value, budget, ancestors);
		if (value instanceof Date)
			return cut(Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString(), budget);
		if (value instanceof Uint8Array) return cut(`[Uint8Array ${value.byteLength} bytes]`, budget);
		if (Array.isArray(value)) {
			// By index, not `map`: a sparse array of a billion slots is read up to the cut.
			const out: unknown[] = [];
			for (let i = 0; i < value.length; i++) {
				if (i === MAX_ITEMS || budget.left <= 0) {
					out.push(moreItems(value.length - i));
					break;
				}
				out.push(readableValue(value[i], budget, ancestors) ?? null);
			}
			return out;
		}
		if (value instanceof Map) {
			return entriesValue(value, value.size, budget, ([k, v]) => [
				readableValue(k, budget, ancestors),
				readableValue(v, budget, ancestors),
			]);
		}
		if (value instanceof Set) {
			return entriesValue(value, value.size, budget, (item) =>
				readableValue(item, budget, ancestors),
			);
		}
		const out: Record<string, unknown> = {};
		const keys = Object.keys(value);
		for (let i = 0; i < keys.length; i++) {
			if (i === MAX_ITEMS || budget.left <= 0) {
				out["…"] = moreItems(keys.length - i);
				break;
			}
			const key = keys[i] as string;
			const item = readableProperty(value, key, budget, ancestors);
			if (item !== undefined) out[cut(key, budget)] = item;
		}
		return out;
	} finally {
		ancestors.pop();
	}
}

/** The entries of a map or set, up to the cut. */
function entriesValue<T>(
	entries: Iterable<T>,
	size: number,
	budget: LogBudget,
	write: (entry: T) => unknown,
): unknown[] {
	const out: unknown[] = [];
	let written = 0;
	for (const entry of entries) {
		if (written === MAX_ITEMS || budget.left <= 0) {
			out.push(moreItems(size - written));
			break;
		}
		out.push(write(entry));
		written++;
	}
	return out;
}

/** What a log shows of an error, in this order (`name` and `message` always). */
const ERROR_KEYS = ["name", "message", "group", "code", "stack", "cause"] as const;

function errorValue(
	error: Error,
	budget: LogBudget,
	ancestors: unknown[],
): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const key of ERROR_KEYS) {
		const item = readableProperty(error, key, budget, ancestors);
		if (item !== undefined || key === "name" || key === "message") out[key] = item;
	}
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
	const budget = lineBudget();
	const line: Record<string, unknown> = {
		time: new Date(time).toISOString(),
		level,
		module: typeof fields.module === "string" ? cut(fields.module, budget) : undefined,
		msg: messageText(message, budget),
	};
	for (const name of LEADING_FIELDS) {
		if (fields[name] !== undefined) line[name] = readableValue(fields[name], budget, []);
	}
	for (const [name, value] of orderedFields(fields, budget)) {
		line[name] = readableValue(value, budget, []);
	}
	try {
		return escapeLineSeparators(JSON.stringify(line));
	} catch (error) {
		return JSON.stringify({ time: line.time, level, msg: line.msg, logError: String(error) });
	}
}

/**
 * The fields after the leading ones, renamed when they collide with the line's
 * own names; past {@link MAX_ITEMS} or the budget, one `…` field counts the rest.
 */
function* orderedFields(fields: LogFields, budget: LogBudget): Generator<[string, unknown]> {
	const names = Object.keys(fields);
	for (let i = 0; i < names.length; i++) {
		const name = names[i] as string;
		if (name === "module" || (LEADING_FIELDS as readonly string[]).includes(name)) continue;
		if (i >= MAX_ITEMS || budget.left <= 0) {
			yield ["…", `${names.length - i} more fields`];
			return;
		}
		const value = fields[name];
		if (value === undefined) continue;
		yield [cut(RESERVED.has(name) ? `field.${name}` : name, budget), value];
	}
}

/** The message as text, cut to the budget. */
function messageText(message: unknown, budget: LogBudget): string {
	try {
		return cut(String(message), budget);
	} catch {
		return "[Unreadable]";
	}
}

// JSON escapes C0 controls itself. U+2028/U+2029 end lines in some readers, and C1
// controls (CSI is U+009B) and bidirectional overrides act on a terminal that shows
// the line (\`tail -f\`); all of them only occur inside strings, where an escape is valid.
const JSON_UNSAFE =
	/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060-\u2064\ufeff]/g;
function escapeLineSeparators(json: string): string {
	return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides and marks,
// and invisible characters (zero-width space and joiners, word joiner, BOM):
// none may reach a terminal raw (a newline forges a line, ESC or CSI recolours or moves it).
const UNSAFE_CHARS =
	// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
	/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060-\u2064\ufeff]/g;
/** A plain value needs no quotes: no space, quote, `=`, backslash or unsafe character. */
const BARE_VALUE =
	// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
	/^[^\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060-\u2064\ufeff]+$/;

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

function prettyValue(value: unknown, budget: LogBudget): string {
	const safe = readableValue(value, budget, []);
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
		const budget = lineBudget();
		const module =
			typeof fields.module === "string" ? escapeControl(cut(fields.module, budget)) : "";
		const label = level.toUpperCase().padEnd(5);
		const text = escapeControl(messageText(message, budget));
		let line = colour
			? `${DIM}${clockTime(time)}${RESET} ${COLOURS[level]}${label}${RESET} ${DIM}${module.padEnd(8)}${RESET} ${text}`
			: `${clockTime(time)} ${label} ${module.padEnd(8)} ${text}`;
		for (const name of LEADING_FIELDS) {
			if (fields[name] !== undefined) line += field(name, fields[name], colour, budget);
		}
		for (const [name, value] of orderedFields(fields, budget))
			line += field(name, value, colour, budget);
		return line;
	} catch (error) {
		return `${clockTime(time)} ${level.toUpperCase()} (unprintable log line: ${escapeControl(String(error))})`;
	}
}

/** A field name shown bare: anything else is quoted, so `x requestId` cannot read as a pair. */
const PLAIN_NAME = /^[\p{L}\p{N}_.-]+$/u;

function field(name: string, value: unknown, colour: boolean, budget: LogBudget): string {
	const shownName = escapeControl(PLAIN_NAME.test(name) ? name : JSON.stringify(name));
	return colour
		? ` ${DIM}${shownName}=${RESET}${prettyValue(value, budget)}`
		: ` ${shownName}=${prettyValue(value, budget)}`;
}

/** The token of a gateway address, `/gateway/{id}@{token}` (`@` may come as `%40`). */
const GATEWAY_TOKEN = /(\/gateway\/[^/?#]*?)(?:@|%40)[^/?#]*/gi;

/**
 * What a log line shows of a request's URL: its path with the token of a
 * gateway address hidden, and its query with every value hidden (`rvt-token`,
 * `rvt-input`, and whatever an application's own routes carry there), as the
 * inspector shows a socket's URL.
 *
 * @example
 * loggableUrl("/gateway/abc@secret/action/x?rvt-token=t") // "/gateway/abc@[redacted]/action/x?rvt-token=[redacted]"
 */
export function loggableUrl(url: string): string {
	const query = url.indexOf("?");
	const path = (query === -1 ? url : url.slice(0, query)).replace(GATEWAY_TOKEN, "$1@[redacted]");
	if (query === -1) return path;
	const hidden = url
		.slice(query + 1)
		.split("&")
		.map((pair) => {
			const eq = pair.indexOf("=");
			return eq === -1 ? pair : `${pair.slice(0, eq)}=[redacted]`;
		});
	return `${path}?${hidden.join("&")}`;
}
