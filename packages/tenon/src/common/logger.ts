import {
	formatJsonLine,
	formatPrettyLine,
	type LogFormat,
	type WrittenLevel,
} from "./log-format.js";

export type { LogFormat } from "./log-format.js";

/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/**
 * Levels per module: `default` for every module not listed. Modules are
 * `server`, `runtime`, `actor`, `cluster`, `storage`, `workflow`, `db`, `mcp`.
 */
export type LogLevels = Partial<Record<string, LogLevel>>;

/**
 * A small structured logger. `c.log` in actors is one of these, bound to the
 * actor's name, key and id (and, in an action, the request id).
 *
 * @example
 * c.log.info("user joined", { userId });
 */
export interface Logger {
	debug(message: string, fields?: LogFields): void;
	info(message: string, fields?: LogFields): void;
	warn(message: string, fields?: LogFields): void;
	error(message: string, fields?: LogFields): void;
	/**
	 * A logger that adds `fields` to every line. A `module` field names the
	 * module the lines come from, and picks that module's level.
	 */
	child(fields: LogFields): Logger;
}

/**
 * Where log lines go. The default writes one line per entry to stderr (JSON,
 * or a readable line in a terminal). `fields` includes `module` when the
 * logger has one. A sink that throws loses that line, nothing else.
 */
export type LogSink = (level: WrittenLevel, message: string, fields: LogFields) => void;

const LEVEL_RANK: Record<LogLevel, number> = {
	debug: 10,
	info: 20,
	warn: 30,
	error: 40,
	silent: 99,
};
const DEBUG = 10;
const INFO = 20;
const WARN = 30;
const ERROR = 40;

function isLogLevel(value: string | undefined): value is LogLevel {
	return value !== undefined && Object.hasOwn(LEVEL_RANK, value);
}

/** A level as written (`DEBUG`, `Warning`): lower case, `warning` for `warn`. */
function levelOf(text: string): string {
	const lower = text.toLowerCase();
	return lower === "warning" ? "warn" : lower;
}

/**
 * Parses `TENON_LOG_LEVEL`-style text: a default level and `module=level`
 * entries, comma-separated (`info,runtime=debug,cluster=warn`), levels in any
 * case. Entries that are not one are ignored, and pushed to `ignored` when given.
 */
export function parseLogLevels(text: string | undefined, ignored?: string[]): LogLevels {
	const levels: LogLevels = {};
	if (text === undefined) return levels;
	for (const entry of text.split(",")) {
		const part = entry.trim();
		if (part === "") continue;
		const eq = part.indexOf("=");
		if (eq === -1) {
			const level = levelOf(part);
			if (isLogLevel(level)) levels.default = level;
			else ignored?.push(part);
			continue;
		}
		const module = part.slice(0, eq).trim();
		const level = levelOf(part.slice(eq + 1).trim());
		if (module !== "" && isLogLevel(level)) levels[module] = level;
		else ignored?.push(part);
	}
	return levels;
}

function envVar(name: string): string | undefined {
	return typeof process === "undefined" ? undefined : process.env[name];
}

/** The default level from `TENON_LOG_LEVEL`, or `info`. */
export function defaultLogLevel(): LogLevel {
	return parseLogLevels(envVar("TENON_LOG_LEVEL")).default ?? "info";
}

/**
 * The default sink's format: `TENON_LOG_FORMAT` (`json` or `pretty`), else
 * `pretty` when stderr is a terminal and `json` when it is not.
 */
export function defaultLogFormat(): LogFormat {
	const fromEnv = envVar("TENON_LOG_FORMAT");
	if (fromEnv === "json" || fromEnv === "pretty") return fromEnv;
	return typeof process !== "undefined" && process.stderr?.isTTY === true ? "pretty" : "json";
}

function colourWanted(): boolean {
	if (typeof process === "undefined") return false;
	if (envVar("NO_COLOR") !== undefined && envVar("NO_COLOR") !== "") return false;
	return process.stderr?.isTTY === true;
}

let stderrGuarded = false;

/**
 * Hears stderr's write errors. A stderr whose reader left (a log collector
 * restarted, `server | head`) fails the next write with EPIPE, which Node
 * emits as an 'error' event: unheard, it is an uncaught exception, and the
 * next line a request made ended the process. Its lines are lost instead.
 */
function guardStderr(): void {
	if (stderrGuarded || typeof process === "undefined" || process.stderr === undefined) return;
	stderrGuarded = true;
	process.stderr.on("error", () => {});
}

/**
 * The stderr sink in `format` (default: {@link defaultLogFormat}). Pretty
 * lines are coloured only when stderr is a terminal and `NO_COLOR` is unset.
 */
export function stderrSink(format: LogFormat = defaultLogFormat()): LogSink {
	const colour = format === "pretty" && colourWanted();
	guardStderr();
	return (level, message, fields) => {
		// A stderr that failed (its reader left) takes no more lines: none is formatted.
		if (process.stderr.destroyed) return;
		const now = Date.now();
		const line =
			format === "json"
				? formatJsonLine(now, level, message, fields)
				: formatPrettyLine(now, level, message, fields, colour);
		process.stderr.write(`${line}\n`);
	};
}

/** What every logger of one tree shares: the sink and the levels. */
interface LogConfig {
	readonly sink: LogSink;
	readonly defaultRank: number;
	readonly moduleRanks: ReadonlyMap<string, number>;
}

function rankFor(config: LogConfig, module: unknown): number {
	if (typeof module !== "string") return config.defaultRank;
	return config.moduleRanks.get(module) ?? config.defaultRank;
}

class ConsoleLogger implements Logger {
	readonly #config: LogConfig;
	readonly #fields: LogFields;
	readonly #rank: number;

	constructor(config: LogConfig, fields: LogFields) {
		this.#config = config;
		this.#fields = fields;
		this.#rank = rankFor(config, fields.module);
	}

	// Each method checks its level first: a filtered line costs one comparison.
	debug(message: string, fields?: LogFields): void {
		if (this.#rank <= DEBUG) this.#write("debug", message, fields);
	}
	info(message: string, fields?: LogFields): void {
		if (this.#rank <= INFO) this.#write("info", message, fields);
	}
	warn(message: string, fields?: LogFields): void {
		if (this.#rank <= WARN) this.#write("warn", message, fields);
	}
	error(message: string, fields?: LogFields): void {
		if (this.#rank <= ERROR) this.#write("error", message, fields);
	}
	child(fields: LogFields): Logger {
		return new ConsoleLogger(this.#config, { ...this.#fields, ...fields });
	}

	#write(level: WrittenLevel, message: string, fields: LogFields | undefined): void {
		try {
			const traced = lineContext?.();
			const context = traced === undefined ? this.#fields : { ...this.#fields, ...traced };
			this.#config.sink(level, message, fields ? lineFields(context, fields) : context);
		} catch {
			// A log line never throws into the code that logs it.
		}
	}
}

/**
 * Fields of the moment a line is written, added to it (the active trace's ids: see
 * observability/log-trace-context.ts); undefined, or a provider returning undefined: none.
 */
let lineContext: (() => LogFields | undefined) | undefined;

/** Sets what {@link lineContext} adds to every line Tenon's loggers write. */
export function setLineContext(provider: (() => LogFields | undefined) | undefined): void {
	lineContext = provider;
}

/** Fields a logger sets that a line's own fields do not replace (see {@link lineFields}). */
const CONTEXT_FIELDS = [
	"module",
	"actor",
	"key",
	"actorId",
	"requestId",
	"trace_id",
	"span_id",
] as const;

/**
 * A line's fields: the logger's, then the call's. A call's field named like one the logger
 * set (`actor`, `key`, `actorId`, `requestId`, even to undefined), or named `module`, is written as
 * `field.<name>`: an action logging a client's object as fields let the client name them, and
 * the line read as another actor's or another request's (an attacker probe, 2026-11-27).
 */
function lineFields(context: LogFields, fields: LogFields): LogFields {
	const line = { ...context, ...fields };
	for (const name of CONTEXT_FIELDS) {
		if (!Object.hasOwn(fields, name)) continue;
		// A logger reserves a name it set, even to undefined (an actor's `c.log` outside a request).
		if (name !== "module" && !Object.hasOwn(context, name)) continue;
		line[`field.${name}`] = fields[name];
		if (context[name] === undefined) delete line[name];
		else line[name] = context[name];
	}
	return line;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
	/** The default level. Default: `TENON_LOG_LEVEL`'s default, or `info`. */
	level?: LogLevel;
	/**
	 * Levels per module, over `TENON_LOG_LEVEL`'s `module=level` entries
	 * (`default` sets the default level, like `level`).
	 */
	levels?: LogLevels;
	/** Where lines go. Default: stderr in `format`. */
	sink?: LogSink;
	/** The default sink's format. Default: `TENON_LOG_FORMAT`, else by whether stderr is a terminal. */
	format?: LogFormat;
	/** Fields on every line. */
	fields?: LogFields;
}

/**
 * Creates a logger writing to `sink` (stderr by default). Levels come from
 * `options`, then `TENON_LOG_LEVEL` (`info,runtime=debug`), then `info`.
 *
 * @example
 * const logger = createLogger({ levels: { runtime: "debug" }, format: "json" });
 * logger.child({ module: "runtime" }).debug("woke", { actorId });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
	const ignored: string[] = [];
	const fromEnv = parseLogLevels(envVar("TENON_LOG_LEVEL"), ignored);
	const merged: LogLevels = { ...fromEnv, ...options.levels };
	const defaultLevel = options.level ?? options.levels?.default ?? fromEnv.default ?? "info";
	const moduleRanks = new Map<string, number>();
	for (const [module, level] of Object.entries(merged)) {
		if (module !== "default" && level !== undefined && isLogLevel(level)) {
			moduleRanks.set(module, LEVEL_RANK[level]);
		}
	}
	const logger = new ConsoleLogger(
		{
			sink: options.sink ?? stderrSink(options.format),
			defaultRank: LEVEL_RANK[defaultLevel],
			moduleRanks,
		},
		options.fields ?? {},
	);
	// Said once, not dropped without a word (an operator's walkthrough, 2026-11-29: a typo in
	// TENON_LOG_LEVEL left the level at info, silently).
	if (ignored.length > 0)
		logger.warn("TENON_LOG_LEVEL: entries ignored (levels are debug, info, warn, error, silent)", {
			ignored: ignored.map((entry) => entry.slice(0, 64)).slice(0, 16),
		});
	return logger;
}

/** `logger` for `module`: its lines carry `module` and follow that module's level. */
export function moduleLogger(logger: Logger, module: string): Logger {
	return logger.child({ module });
}
