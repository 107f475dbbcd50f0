import { NotStorableError } from "../common/storable.js";
import { traceWorkflowStep } from "../observability/tracing.js";
import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import {
	CriticalError,
	errorInfo,
	invalidWorkflowUse,
	isCodeError,
	isControlError,
	ReplayEndError,
	StepFailedError,
	type StepFailureKind,
} from "./errors.js";
import { copyOf, type JournalEntry } from "./journal.js";
import { waitsInRaces } from "./race-gate.js";
import { journaledCheckpoint } from "./rollback.js";
import type { StepConfig, TryStepCatchKind, TryStepConfig, TryStepResult } from "./types.js";

/** Step defaults (RivetKit's): 3 retries, 100 ms doubling to 30 s, 30 s per attempt. */
export const STEP_DEFAULTS = {
	maxRetries: 3,
	retryBackoffBase: 100,
	retryBackoffMax: 30_000,
	timeout: 30_000,
} as const;

// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
type AnyStepConfig = StepConfig<unknown, any>;

/** Accepts `(name, run)` or `(config)`. */
export function stepConfig(nameOrConfig: unknown, run: unknown, what: string): AnyStepConfig {
	const config =
		typeof nameOrConfig === "string"
			? { name: nameOrConfig, run }
			: (nameOrConfig as AnyStepConfig | undefined);
	if (typeof config !== "object" || config === null || typeof config.run !== "function") {
		throw invalidWorkflowUse(`ctx.${what} needs a name and a function`);
	}
	return config as AnyStepConfig;
}

function numberOption(
	value: number | undefined,
	fallback: number,
	name: string,
	check: (n: number) => boolean,
): number {
	if (value === undefined) return fallback;
	if (typeof value !== "number" || Number.isNaN(value) || !check(value)) {
		throw invalidWorkflowUse(`step option ${name} is invalid: ${String(value)}`);
	}
	return value;
}

class StepTimeoutError extends Error {
	constructor(ms: number) {
		super(`the attempt took longer than ${ms} ms`);
		this.name = "StepTimeoutError";
	}
}

/** An attempt found `running` after a crash: the process died while it ran. */
class StepCrashedError extends Error {
	constructor(attempt: number) {
		super(`the process stopped during attempt ${attempt} (a crash, or a kill)`);
		this.name = "StepCrashedError";
	}
}

/**
 * `ctx.step`: returns the journaled result on replay; otherwise runs the
 * function (retrying with exponential backoff, durably: the actor may sleep
 * between attempts) and journals the result in the same commit as the
 * step's writes.
 */
export async function runStep(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	config: AnyStepConfig,
): Promise<unknown> {
	const maxRetries = numberOption(
		config.maxRetries,
		STEP_DEFAULTS.maxRetries,
		"maxRetries",
		(n) => Number.isInteger(n) && n >= 0,
	);
	const base = numberOption(
		config.retryBackoffBase,
		STEP_DEFAULTS.retryBackoffBase,
		"retryBackoffBase",
		(n) => n >= 0 && Number.isFinite(n),
	);
	const max = numberOption(
		config.retryBackoffMax,
		STEP_DEFAULTS.retryBackoffMax,
		"retryBackoffMax",
		(n) => n >= 0,
	);
	const timeout = numberOption(config.timeout, STEP_DEFAULTS.timeout, "timeout", (n) => n > 0);
	const maxCrashes =
		config.maxCrashes === undefined
			? undefined
			: numberOption(
					config.maxCrashes,
					0,
					"maxCrashes",
					(n) => n >= 0 && (Number.isInteger(n) || n === Number.POSITIVE_INFINITY),
				);
	const scope = ctx.scope;
	const { path, entry: recorded, location } = scope.claim("step", config.name);
	const journal = engine.journal;
	const rollback = config.rollback;
	// The step completed (or replayed): a rollback may need its compensation (see rollback.ts).
	const completed = (done: JournalEntry) => {
		if (rollback !== undefined) {
			engine.compensations.set(path, { name: location, rollback, timeoutMs: timeout });
			scope.noteCompensable();
		} else if (done.compensable === true) engine.compensations.set(path, null);
		return copyOf(done.output);
	};
	if (recorded?.status === "completed") return completed(recorded);
	if (recorded?.status === "failed") {
		throw new StepFailedError(
			location,
			recorded.failure ?? "exhausted",
			recorded.attempts ?? 1,
			recorded.error ?? { name: "Error", message: "failed" },
		);
	}
	// Replayed only to learn compensations: the first run got no further.
	if (scope.replayOnly) throw new ReplayEndError();
	if (
		rollback !== undefined &&
		!scope.frame.checkpointed &&
		// Its checkpoint may be in a finished scope the replay skipped, or in pruned iterations.
		!journaledCheckpoint(journal, path)
	) {
		throw invalidWorkflowUse(
			`step '${location}' has a rollback but no ctx.rollbackCheckpoint() comes before it`,
		);
	}
	let entry: JournalEntry = recorded ?? {
		kind: "step",
		name: config.name,
		status: "pending",
		createdAt: engine.now(),
		attempts: 0,
	};
	// An attempt made durable before it ran and never finished: after a crash the process
	// died in it (it counts, and fails like one that threw); after a graceful stop it was
	// cut short by the stop, and runs again as the same attempt.
	let crashed: number | undefined;
	if (recorded?.status === "running") {
		if (engine.afterCrash) crashed = recorded.attempts ?? 1;
		else entry = { ...recorded, status: "pending", attempts: (recorded.attempts ?? 1) - 1 };
	}
	for (;;) {
		let attempt: number;
		let error: unknown;
		if (crashed !== undefined) {
			attempt = crashed;
			error = new StepCrashedError(crashed);
			crashed = undefined;
		} else {
			if (
				entry.status === "retrying" &&
				entry.retryAt !== undefined &&
				entry.retryAt > engine.now()
			) {
				waitsInRaces(scope.seats);
				await engine.delayUntil(entry.retryAt, scope.signal);
			}
			scope.check();
			attempt = (entry.attempts ?? 0) + 1;
			const before = entry;
			entry = await engine.beginAttempt(path, entry, attempt);
			try {
				// A careful attempt waited for a commit: the actor may have begun to stop, or the
				// step's branch lost its race, meanwhile (checked again, or the step ran anyway).
				scope.check();
				const traced = { workflowId: engine.workflowId, name: location, attempt };
				await traceWorkflowStep(traced, () =>
					engine.runAttempt(attempt, scope.signal, (c) => config.run(c), {
						label: `step '${location}'`,
						mark: () => ctx.enterStep(),
						timeoutMs: timeout,
						onTimeout: () => new StepTimeoutError(timeout),
						onSuccess: (value) => {
							const { retryAt: _retryAt, error: _error, ...rest } = entry;
							const done: JournalEntry = {
								...rest,
								status: "completed",
								attempts: attempt,
								output: engine.host.toRaw(value),
								completedAt: engine.now(),
								...(rollback === undefined ? {} : { compensable: true }),
							};
							// Stored first: a result that cannot be stored fails the attempt, and the
							// failure's entry must not carry it (it threw again there, past tryStep and
							// try/catch, and failed the whole workflow: a walkthrough, 2026-11-28).
							journal.put(path, done);
							entry = done;
						},
					}),
				);
				return completed(entry);
			} catch (thrown) {
				// Its branch lost a race: the attempt neither failed nor crashed, and a careful
				// attempt's `running` mark goes back to the entry before it (it read running for
				// good: an attacker probe, 2026-11-28). Cut short by a stop, the mark stays: the
				// next life runs the attempt again (see `crashed` above).
				if (entry.status === "running" && scope.signal.aborted && !engine.evicted.aborted)
					journal.put(path, before);
				if (isControlError(thrown) || isCodeError(thrown)) throw thrown;
				// Its branch lost a race, or the actor stops: the attempt failed because its signal
				// told it to stop (whatever it threw then), and is no failure of the step (a review:
				// a losing branch's step was journaled failed and reported to onError).
				scope.check();
				error = thrown;
			}
		}
		const info = errorInfo(error);
		const timedOut = error instanceof StepTimeoutError;
		const critical =
			error instanceof CriticalError ||
			(timedOut && config.retryOnTimeout !== true) ||
			// A result that cannot be stored fails the same way every time.
			error instanceof NotStorableError;
		// With maxCrashes, crashes have their own budget and the others count without them.
		const crashedNow = error instanceof StepCrashedError;
		const crashes = (entry.crashes ?? 0) + (crashedNow && maxCrashes !== undefined ? 1 : 0);
		const remainingRetries = critical
			? 0
			: maxCrashes === undefined
				? Math.max(0, maxRetries + 1 - attempt)
				: crashedNow
					? crashes <= maxCrashes
						? Math.max(1, maxRetries + 1 - (attempt - crashes))
						: 0
					: Math.max(0, maxRetries + 1 - (attempt - crashes));
		const willRetry = remainingRetries > 0;
		if (willRetry) {
			const retryDelay = Math.min(base * 2 ** (attempt - 1), max);
			const retryAt = engine.now() + retryDelay;
			entry = {
				...entry,
				status: "retrying",
				attempts: attempt,
				...(crashes > 0 ? { crashes } : {}),
				retryAt,
				error: info,
			};
			journal.put(path, entry);
			await engine.report({
				step: {
					workflowId: engine.workflowId,
					stepName: location,
					attempt,
					maxRetries,
					remainingRetries,
					willRetry,
					retryDelay,
					retryAt,
					error: info,
				},
			});
			continue;
		}
		const kind: StepFailureKind = timedOut ? "timeout" : critical ? "critical" : "exhausted";
		const { retryAt: _retryAt, ...rest } = entry;
		entry = {
			...rest,
			status: "failed",
			attempts: attempt,
			...(crashes > 0 ? { crashes } : {}),
			failure: kind,
			error: info,
			completedAt: engine.now(),
		};
		journal.put(path, entry);
		await engine.report({
			step: {
				workflowId: engine.workflowId,
				stepName: location,
				attempt,
				maxRetries,
				remainingRetries: 0,
				willRetry: false,
				error: info,
			},
		});
		throw new StepFailedError(location, kind, attempt, info);
	}
}

const ALL_STEP_FAILURES: readonly TryStepCatchKind[] = ["critical", "timeout", "exhausted"];

/** `ctx.tryStep`: a step whose final failure comes back as data. */
export async function tryStep(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	config: TryStepConfig<unknown, any>,
): Promise<TryStepResult<unknown>> {
	const catching = config.catch ?? ALL_STEP_FAILURES;
	try {
		return { ok: true, value: await runStep(engine, ctx, config) };
	} catch (error) {
		if (error instanceof StepFailedError && catching.includes(error.kind)) {
			return {
				ok: false,
				failure: {
					kind: error.kind,
					stepName: error.stepName,
					attempts: error.attempts,
					error: error.error,
				},
			};
		}
		throw error;
	}
}
