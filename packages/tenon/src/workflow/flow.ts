import { stopsEverything } from "./branches.js";
import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import {
	errorInfo,
	invalidWorkflowUse,
	JoinError,
	RaceError,
	RollbackError,
	StepFailedError,
} from "./errors.js";
import type { JournalEntry } from "./journal.js";
import { RollbackFrame } from "./scope.js";
import type {
	EntryKind,
	LoopBreak,
	LoopConfig,
	LoopContinue,
	TryBlockCatchKind,
	TryBlockConfig,
	TryBlockFailure,
	TryBlockResult,
} from "./types.js";

/** What a loop iteration returns: `Loop.break(value)` or `Loop.continue(state)`. */
export const Loop = {
	break<T>(value: T): LoopBreak<T> {
		return { break: true, value };
	},
	continue<LS>(state: LS): LoopContinue<LS> {
		return { continue: true, state };
	},
};

function isBreak(value: unknown): value is LoopBreak<unknown> {
	return (
		typeof value === "object" && value !== null && (value as LoopBreak<unknown>).break === true
	);
}

function isContinue(value: unknown): value is LoopContinue<unknown> {
	return (
		typeof value === "object" &&
		value !== null &&
		(value as LoopContinue<unknown>).continue === true
	);
}

function positiveInteger(value: number | undefined, fallback: number, name: string, min: number) {
	if (value === undefined) return fallback;
	if (!Number.isInteger(value) || value < min) {
		throw invalidWorkflowUse(`loop option ${name} must be an integer >= ${min}`);
	}
	return value;
}

/** Default number of iterations between prunes (and kept after one). */
export const LOOP_PRUNE_INTERVAL = 20;

/**
 * `ctx.loop`: each iteration is a scope of its own; after it, the loop entry
 * records the next iteration number and the loop state, so replay resumes at
 * the current iteration. Finished iterations are pruned from the journal.
 */
export async function runLoop(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	config: LoopConfig<unknown, unknown, WorkflowContextImpl>,
): Promise<unknown> {
	if (typeof config?.run !== "function")
		throw invalidWorkflowUse("ctx.loop needs a name and a function");
	const pruneEvery = positiveInteger(
		config.historyPruneInterval,
		LOOP_PRUNE_INTERVAL,
		"historyPruneInterval",
		1,
	);
	const keep = positiveInteger(config.historySize, pruneEvery, "historySize", 0);
	const scope = ctx.scope;
	const journal = engine.journal;
	const toRaw = <T>(value: T) => engine.host.toRaw(value);
	const { path, entry: recorded, location } = scope.claim("loop", config.name);
	if (recorded?.status === "completed") return recorded.output;
	let entry: JournalEntry = recorded ?? {
		kind: "loop",
		name: config.name,
		status: "pending",
		createdAt: engine.now(),
		iteration: 0,
		state: toRaw(config.state),
	};
	if (recorded === undefined) journal.put(path, entry);
	let iteration = entry.iteration ?? 0;
	let state = entry.state;
	for (;;) {
		scope.check();
		const iterationScope = scope.child(path, iteration, `${location}[${iteration}]`);
		const result = await config.run(ctx.child(iterationScope), state);
		iterationScope.finish();
		const next = iteration + 1;
		if (isBreak(result)) {
			const { state: _state, ...rest } = entry;
			entry = {
				...rest,
				status: "completed",
				iteration: next,
				output: toRaw(result.value),
				completedAt: engine.now(),
			};
			journal.put(path, entry);
			journal.pruneIterations(path, next - keep);
			return entry.output;
		}
		if (isContinue(result)) state = toRaw(result.state);
		else if (result !== undefined) {
			throw invalidWorkflowUse(
				`loop '${location}': an iteration must return Loop.break(value), Loop.continue(state) or nothing`,
			);
		}
		entry = { ...entry, iteration: next, state };
		journal.put(path, entry);
		if (next % pruneEvery === 0) journal.pruneIterations(path, next - keep);
		iteration = next;
		// Let I/O, other actors and the group commit run between iterations:
		// a loop of quick steps would otherwise never leave the microtask queue.
		await new Promise((resolve) => setImmediate(resolve));
	}
}

const DEFAULT_TRY_CATCH: readonly TryBlockCatchKind[] = ["step", "join", "race"];

function classify(error: unknown): TryBlockFailure | undefined {
	if (error instanceof StepFailedError) {
		return {
			source: "step",
			name: error.stepName,
			error: error.error,
			step: {
				kind: error.kind,
				stepName: error.stepName,
				attempts: error.attempts,
				error: error.error,
			},
		};
	}
	if (error instanceof JoinError)
		return { source: "join", name: error.joinName, error: errorInfo(error) };
	if (error instanceof RaceError)
		return { source: "race", name: error.raceName, error: errorInfo(error) };
	if (error instanceof RollbackError)
		return { source: "rollback", name: error.stepName, error: error.error };
	return undefined;
}

/**
 * `ctx.try`: a block whose step, join and race failures come back as data,
 * after the compensations of steps completed in it (since its last
 * checkpoint) ran. Its result is journaled.
 */
export async function runTry(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	config: TryBlockConfig<unknown, WorkflowContextImpl>,
): Promise<TryBlockResult<unknown>> {
	if (typeof config?.run !== "function")
		throw invalidWorkflowUse("ctx.try needs a name and a function");
	const catching = config.catch ?? DEFAULT_TRY_CATCH;
	const scope = ctx.scope;
	const journal = engine.journal;
	const { path, entry: recorded, location } = scope.claim("try", config.name);
	if (recorded?.status === "completed") return recorded.output as TryBlockResult<unknown>;
	const frame = new RollbackFrame(scope.frame);
	const blockScope = scope.child(path, 0, location, { frame });
	const record = (result: TryBlockResult<unknown>) => {
		journal.put(path, {
			kind: "try",
			name: config.name,
			status: "completed",
			createdAt: recorded?.createdAt ?? engine.now(),
			completedAt: engine.now(),
			output: result,
		});
		return result;
	};
	let failure: TryBlockFailure | undefined;
	try {
		const value = engine.host.toRaw(await config.run(ctx.child(blockScope)));
		blockScope.finish();
		// Steps of a block that succeeded are compensated if the enclosing code fails later.
		scope.frame.compensations.push(...frame.compensations);
		return record({ ok: true, value });
	} catch (error) {
		if (stopsEverything(error)) throw error;
		failure = classify(error);
		if (failure === undefined || !catching.includes(failure.source)) {
			scope.frame.compensations.push(...frame.compensations);
			throw error;
		}
	}
	try {
		await engine.compensate(frame);
	} catch (error) {
		if (error instanceof RollbackError && catching.includes("rollback")) {
			return record({ ok: false, failure: classify(error) as TryBlockFailure });
		}
		throw error;
	}
	return record({ ok: false, failure });
}

/** `ctx.rollbackCheckpoint`: later failures roll back to here. */
export function rollbackCheckpoint(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
): Promise<void> {
	const scope = ctx.scope;
	const { path, entry } = scope.claim("rollback_checkpoint", name);
	if (entry === undefined) {
		engine.journal.put(path, {
			kind: "rollback_checkpoint",
			name,
			status: "completed",
			createdAt: engine.now(),
		});
	}
	scope.frame.hasCheckpoint = true;
	scope.frame.compensations = [];
	return Promise.resolve();
}

const KINDS: readonly EntryKind[] = [
	"step",
	"loop",
	"sleep",
	"message",
	"rollback_checkpoint",
	"join",
	"race",
	"try",
	"removed",
	"version_check",
];

/** `ctx.removed`: takes the place of an entry deleted from the code. */
export function removed(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	originalKind: EntryKind,
): Promise<void> {
	if (!KINDS.includes(originalKind)) {
		throw invalidWorkflowUse(
			`ctx.removed('${name}', ...): unknown entry kind '${String(originalKind)}'`,
		);
	}
	const scope = ctx.scope;
	scope.check();
	const existing = scope.peek();
	if (existing !== undefined && existing.name === name && existing.kind === originalKind) {
		// An old journal: the removed entry is skipped.
		scope.skip();
		return Promise.resolve();
	}
	const { path, entry } = scope.claim("removed", name);
	if (entry === undefined) {
		engine.journal.put(path, {
			kind: "removed",
			name,
			status: "completed",
			createdAt: engine.now(),
			originalKind,
		});
	}
	return Promise.resolve();
}

/** `ctx.getVersion`: see {@link WorkflowContext.getVersion}. */
export function getVersion(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	latest: number,
): Promise<number> {
	if (!Number.isInteger(latest) || latest < 1) {
		throw invalidWorkflowUse(`ctx.getVersion('${name}', ...): the version must be an integer >= 1`);
	}
	const scope = ctx.scope;
	scope.check();
	const existing = scope.peek();
	if (existing?.kind === "version_check" && existing.name === name) {
		scope.skip();
		return Promise.resolve(existing.version ?? 1);
	}
	// The journal has something else here: it was written before this call existed.
	if (existing !== undefined) return Promise.resolve(1);
	const path = scope.skip();
	engine.journal.put(path, {
		kind: "version_check",
		name,
		status: "completed",
		createdAt: engine.now(),
		version: latest,
	});
	return Promise.resolve(latest);
}
