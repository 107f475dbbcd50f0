/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/**
 * A small structured logger. `c.log` in actors is one of these, bound to the
 * actor's name and id.
 *
 * @example
 * c.log.info("user joined", { userId });
 */
export interface Logger {
	debug(message: string, fields?: LogFields): void;
	info(message: string, fields?: LogFields): void;
	warn(message: string, fields?: LogFields): void;
	error(message: string, fields?: LogFields): void;
	/** A logger that adds `fields` to every line. */
	child(fields: LogFields): Logger;
}

/** Where log lines go. The default writes one line per entry to stderr. */
export type LogSink = (
	level: Exclude<LogLevel, "silent">,
	message: string,
	fields: LogFields,
) => void;

const LEVEL_RANK: Record<LogLevel, number> = {
	debug: 10,
	info: 20,
	warn: 30,
	error: 40,
	silent: 99,
};

function isLogLevel(value: string | undefined): value is LogLevel {
	return value !== undefined && value in LEVEL_RANK;
}

/** The level from `TENON_LOG_LEVEL`, or `info`. */
export function defaultLogLevel(): LogLevel {
	const fromEnv = typeof process === "undefined" ? undefined : process.env.TENON_LOG_LEVEL;
	return isLogLevel(fromEnv) ? fromEnv : "info";
}

function formatValue(value: unknown): string {
	if (value instanceof Error) return JSON.stringify(value.stack ?? value.message);
	if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
	if (typeof value === "bigint") return `${value}n`;
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}

const stderrSink: LogSink = (level, message, fields) => {
	let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
	for (const [key, value] of Object.entries(fields)) {
		if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
	}
	process.stderr.write(`${line}\n`);
};

class ConsoleLogger implements Logger {
	readonly #rank: number;
	readonly #fields: LogFields;
	readonly #sink: LogSink;

	constructor(level: LogLevel, fields: LogFields, sink: LogSink) {
		this.#rank = LEVEL_RANK[level];
		this.#fields = fields;
		this.#sink = sink;
	}

	#write(level: Exclude<LogLevel, "silent">, message: string, fields?: LogFields): void {
		if (LEVEL_RANK[level] < this.#rank) return;
		this.#sink(level, message, fields ? { ...this.#fields, ...fields } : this.#fields);
	}

	debug(message: string, fields?: LogFields): void {
		this.#write("debug", message, fields);
	}
	info(message: string, fields?: LogFields): void {
		this.#write("info", message, fields);
	}
	warn(message: string, fields?: LogFields): void {
		this.#write("warn", message, fields);
	}
	error(message: string, fields?: LogFields): void {
		this.#write("error", message, fields);
	}
	child(fields: LogFields): Logger {
		const level = (Object.keys(LEVEL_RANK) as LogLevel[]).find((l) => LEVEL_RANK[l] === this.#rank);
		return new ConsoleLogger(level ?? "info", { ...this.#fields, ...fields }, this.#sink);
	}
}

/**
 * Creates a logger writing to `sink` (stderr by default) at `level`
 * (`TENON_LOG_LEVEL` or `info` by default).
 */
export function createLogger(
	options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {},
): Logger {
	return new ConsoleLogger(
		options.level ?? defaultLogLevel(),
		options.fields ?? {},
		options.sink ?? stderrSink,
	);
}
