import { cutText } from "../common/text-cut.js";
import { ActorError } from "../protocol/errors.js";
import { findNotPlain } from "../protocol/plain-data.js";

/** An error as the journal stores it and `onError` reports it. */
export interface WorkflowErrorInfo {
	/** Error class name (`Error`, `TypeError`, `ActorError`, `CriticalError`, ...). */
	name: string;
	message: string;
	stack?: string;
	/**
	 * For `ActorError`s: their group, code and metadata. For a thrown value that is
	 * not an Error: `thrown`, the value (plain data of at most 2,000 characters).
	 */
	metadata?: Record<string, unknown>;
}

/** How a step ended for good: `critical` (no retry), `timeout`, or `exhausted` (out of retries). */
export type StepFailureKind = "critical" | "timeout" | "exhausted";

/**
 * Turns anything thrown into the stored form. Never throws, and what it
 * returns can always be stored: a name, message or stack that is not a
 * string is replaced, an ActorError's metadata that is not plain data is
 * replaced by a note saying where it stops being plain, and a thrown value
 * that cannot be written out (a null-prototype object) is described. Before
 * 2026-11-25 a step that threw a UserError with an Error or a URL in its
 * metadata could not be journaled, and its workflow failed for good.
 */
export function errorInfo(error: unknown): WorkflowErrorInfo {
	try {
		if (error instanceof Error) {
			const stack = textOf(() => error.stack, "");
			const info: WorkflowErrorInfo = {
				name: textOf(() => error.name, "Error"),
				message: textOf(() => error.message, ""),
				...(stack ? { stack } : {}),
			};
			// A CriticalError made of an ActorError (its cause) fails with that error's group and code.
			const coded =
				error instanceof ActorError
					? error
					: error instanceof CriticalError && error.cause instanceof ActorError
						? error.cause
						: undefined;
			if (coded !== undefined)
				info.metadata = {
					group: textOf(() => coded.group, "unknown"),
					code: textOf(() => coded.code, "unknown"),
					...(coded.metadata === undefined ? {} : { metadata: storableMetadata(coded.metadata) }),
				};
			return info;
		}
		return thrownInfo(error);
	} catch {
		// A proxy that throws on every read.
		return { name: "Error", message: UNWRITABLE };
	}
}

const UNWRITABLE = "a thrown value that cannot be written out";
/** Longest text of a thrown value that is not an Error; one longer is cut, and not kept whole. */
const MAX_THROWN_TEXT = 2_000;

/**
 * A thrown value that is not an Error: its JSON (or its text) as the message, and the value
 * itself, when it is plain data of at most {@link MAX_THROWN_TEXT} characters written out,
 * under `metadata.thrown`. A thrown `{ code: 42 }` was kept as "[object Object]" (a
 * walkthrough, 2026-11-28).
 */
function thrownInfo(value: unknown): WorkflowErrorInfo {
	const text = textOf(() => writtenOut(value), UNWRITABLE);
	if (text === UNWRITABLE) return { name: "Error", message: text };
	const message = cutText(text, MAX_THROWN_TEXT);
	if (message.length < text.length || !smallerThan(value, MAX_THROWN_TEXT))
		return { name: "Error", message };
	return { name: "Error", message, metadata: { thrown: storableMetadata(value) } };
}

/**
 * True when `value` holds fewer than `limit` characters, bytes and entries, walked until
 * it is known: its JSON is no measure, a Map or a Set writes out as `{}` (a thrown value
 * holding an 8 MB Map was journaled whole: an attacker probe, 2026-11-28).
 */
function smallerThan(value: unknown, limit: number): boolean {
	let left = limit;
	const seen = new Set<object>();
	const walk = (item: unknown): boolean => {
		left -= 1;
		if (typeof item === "string") left -= item.length;
		else if (ArrayBuffer.isView(item)) left -= item.byteLength;
		else if (item instanceof ArrayBuffer) left -= item.byteLength;
		else if (typeof item === "object" && item !== null) {
			if (seen.has(item)) return left > 0;
			seen.add(item);
			if (item instanceof Map) {
				for (const [key, entry] of item) if (!walk(key) || !walk(entry)) return false;
			} else if (item instanceof Set) {
				for (const entry of item) if (!walk(entry)) return false;
			} else
				for (const key in item)
					if (!walk(key) || !walk((item as Record<string, unknown>)[key])) return false;
		}
		return left > 0;
	};
	return walk(value);
}

function writtenOut(value: unknown): string {
	if (typeof value !== "object" || value === null) return String(value);
	try {
		const json = JSON.stringify(value);
		if (typeof json === "string") return json;
	} catch {
		// A cycle, a BigInt: its text.
	}
	return String(value);
}

function textOf(read: () => unknown, otherwise: string): string {
	try {
		const value = read();
		// Well formed: half a surrogate pair has no UTF-8 form, and the journal refused the
		// failure's record, which failed the whole workflow (a review, 2026-11-26).
		return typeof value === "string" ? cutText(value) : otherwise;
	} catch {
		return otherwise;
	}
}

/** `metadata` if it is plain data, else a note saying where it is not. */
function storableMetadata(metadata: unknown): unknown {
	try {
		const found = findNotPlain(metadata, "metadata");
		return found === undefined ? metadata : `[not stored: ${found.path} is ${found.what}]`;
	} catch {
		return "[not stored: unreadable]";
	}
}

/** An Error rebuilt from its stored form (the cause of a replayed failure). */
export function errorFromInfo(info: WorkflowErrorInfo): Error {
	const error = new Error(info.message);
	error.name = info.name;
	if (info.stack) error.stack = info.stack;
	return error;
}

/**
 * Throw from a step to fail it at once, without retries. With an `ActorError`
 * as its `cause`, the step's failure carries that error's group and code.
 *
 * @example
 * await ctx.step("charge", async () => {
 *   if (card.expired) throw new CriticalError("card expired");
 * });
 */
export class CriticalError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "CriticalError";
	}
}

/** A step failed for good (out of retries, critical error, or timed out). */
export class StepFailedError extends ActorError {
	readonly stepName: string;
	readonly kind: StepFailureKind;
	readonly attempts: number;
	readonly error: WorkflowErrorInfo;

	constructor(stepName: string, kind: StepFailureKind, attempts: number, error: WorkflowErrorInfo) {
		const how =
			kind === "exhausted"
				? `failed after ${attempts} attempt${attempts === 1 ? "" : "s"}`
				: kind === "timeout"
					? "timed out"
					: "failed with a critical error";
		super("workflow", "step_failed", `Step '${stepName}' ${how}: ${error.message}`, {
			step: stepName,
			kind,
			attempts,
		});
		this.name = "StepFailedError";
		this.stepName = stepName;
		this.kind = kind;
		this.attempts = attempts;
		this.error = error;
		this.cause = errorFromInfo(error);
	}
}

/** Some branches of `ctx.join` failed (the others completed and are recorded). */
export class JoinError extends ActorError {
	readonly joinName: string;
	readonly failures: Record<string, WorkflowErrorInfo>;

	constructor(joinName: string, failures: Record<string, WorkflowErrorInfo>) {
		const names = Object.keys(failures);
		super(
			"workflow",
			"join_failed",
			`Join '${joinName}': branch${names.length === 1 ? "" : "es"} ${names.map((n) => `'${n}'`).join(", ")} failed: ${Object.values(failures)[0]?.message ?? ""}`,
			{ join: joinName, branches: names },
		);
		this.name = "JoinError";
		this.joinName = joinName;
		this.failures = failures;
	}
}

/** Every branch of `ctx.race` failed. */
export class RaceError extends ActorError {
	readonly raceName: string;
	readonly failures: Record<string, WorkflowErrorInfo>;

	constructor(raceName: string, failures: Record<string, WorkflowErrorInfo>) {
		super("workflow", "race_failed", `Race '${raceName}': every branch failed`, {
			race: raceName,
			branches: Object.keys(failures),
		});
		this.name = "RaceError";
		this.raceName = raceName;
		this.failures = failures;
	}
}

/** A compensation (`rollback` of a step) failed while rolling back. */
export class RollbackError extends ActorError {
	readonly stepName: string;
	readonly error: WorkflowErrorInfo;

	constructor(stepName: string, error: WorkflowErrorInfo) {
		super(
			"workflow",
			"rollback_failed",
			`Rollback of step '${stepName}' failed: ${error.message}`,
			{ step: stepName },
		);
		this.name = "RollbackError";
		this.stepName = stepName;
		this.error = error;
	}
}

/**
 * A compensation found rolling back after more crashes than it runs again
 * after (see WorkflowEngine.compensate): the process died in it each time.
 */
export class CompensationCrashedError extends Error {
	constructor(crashes: number) {
		super(`the process stopped during this compensation ${crashes} times (a crash, or a kill)`);
		this.name = "CompensationCrashedError";
	}
}

/** A compensation took longer than its step's timeout (it keeps running; nobody waits for it). */
export class CompensationTimeoutError extends Error {
	constructor(ms: number) {
		super(`the compensation took longer than ${ms} ms`);
		this.name = "CompensationTimeoutError";
	}
}

/**
 * The code no longer matches the journal it replays: an entry was renamed,
 * reordered or removed. Use `ctx.removed()` / `ctx.getVersion()` to evolve a
 * workflow that has runs in flight.
 */
export class HistoryDivergedError extends ActorError {
	constructor(location: string, detail: string) {
		super(
			"workflow",
			"history_diverged",
			`Workflow history diverged at '${location}': ${detail}. Steps must run in the same order on replay; use ctx.removed() or ctx.getVersion() to change a workflow with runs in flight`,
			{ location },
		);
		this.name = "HistoryDivergedError";
	}
}

/** Actor data used outside a step. */
export class OutsideStepError extends ActorError {
	constructor(what: string) {
		super(
			"workflow",
			"outside_step",
			`ctx.${what} can only be used inside ctx.step(): workflow code outside steps is replayed after every wake and must be deterministic`,
			{ member: what },
		);
		this.name = "OutsideStepError";
	}
}

/** Misuse of the workflow API (nested steps, bad arguments, unstorable results). */
export function invalidWorkflowUse(message: string): ActorError {
	return new ActorError("workflow", "invalid_use", message);
}

/**
 * `complete()` of a message a race's losing branch received: it went back to
 * the queue when the branch's code ended (the same error as completing a
 * message one no longer holds, see docs/queues.md).
 */
export function givenBackError(): ActorError {
	return new ActorError(
		"queue",
		"already_completed",
		"The message went back to the queue: the race branch that received it lost",
	);
}

/** The actor is going to sleep or stopping: workflow code unwinds and resumes on the next wake. */
export class EvictedError extends Error {
	constructor() {
		super("The actor is stopping; the workflow resumes from its journal on the next wake");
		this.name = "EvictedError";
	}
}

/** A `ctx.race` branch lost: its remaining work is cancelled. */
export class CancelledError extends Error {
	constructor(raceName: string) {
		super(`Cancelled: another branch of race '${raceName}' won`);
		this.name = "CancelledError";
	}
}

/**
 * A finished scope's code runs again only to learn its steps' compensations
 * (see replay.ts), and reached the end of what its journal records: it stops
 * there, as its first run did.
 */
export class ReplayEndError extends Error {
	constructor() {
		super("The replayed code reached the end of its journal");
		this.name = "ReplayEndError";
	}
}

/** Errors that stop the workflow's code without being failures of it (never caught by try/tryStep). */
export function isControlError(error: unknown): boolean {
	return (
		error instanceof EvictedError ||
		error instanceof CancelledError ||
		error instanceof HistoryDivergedError ||
		error instanceof ReplayEndError
	);
}

/**
 * True for errors in the workflow's code rather than failures of its work:
 * a journal/code mismatch or misuse of the API. The workflow stops for this
 * wake without recording a failure, so a fixed deploy can resume it.
 */
export function isCodeError(error: unknown): boolean {
	return (
		error instanceof HistoryDivergedError ||
		error instanceof OutsideStepError ||
		(error instanceof ActorError && error.group === "workflow" && error.code === "invalid_use")
	);
}

/**
 * The same halt as one reported before: the same error, message and stack
 * (so the same place in the same code; the message alone is the same for
 * every `ctx.state` outside a step, wherever it is).
 */
export function sameHalt(
	reported: WorkflowErrorInfo | undefined,
	halt: WorkflowErrorInfo,
): boolean {
	return (
		reported !== undefined &&
		reported.name === halt.name &&
		reported.message === halt.message &&
		reported.stack === halt.stack
	);
}
