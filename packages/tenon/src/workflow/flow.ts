import { stopsEverything } from "./branches.js";
import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import {
	errorInfo,
	invalidWorkflowUse,
	JoinError,
	RaceError,
	ReplayEndError,
	RollbackError,
	StepFailedError,
} from "./errors.js";
import { copyOf, isPrefix, type JournalEntry } from "./journal.js";
import { frameOf, pendingCompensations, replayFinished, scopesToReplay } from "./rollback.js";
import { RollbackFrame, type Scope } from "./scope.js";
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
 * the current iteration. Finished iterations are pruned from the journal,
 * except those with steps whose compensation may still run: they are kept,
 * with the state they started with, and a replay runs them again to learn
 * their compensations (see rollback.ts).
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
	const iterationScope = (iteration: number, replayOnly = false) =>
		scope.child(path, iteration, `${location}[${iteration}]`, { replayOnly });
	const runIteration = (iterationScope: Scope, state: unknown) =>
		config.run(ctx.child(iterationScope), copyOf(state));
	if (recorded !== undefined) {
		// Finished iterations whose steps' compensations this life does not know yet.
		const replay = scopesToReplay(journal, engine.compensations, path);
		for (const { iteration, state } of journal.iterationInputs(path)) {
			if (iteration < (recorded.iteration ?? 0) && replay.has(iteration))
				await replayFinished(() => runIteration(iterationScope(iteration, true), state));
		}
	}
	if (recorded?.status === "completed") return copyOf(recorded.output);
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
	if (scope.replayOnly) {
		await replayFinished(() => runIteration(iterationScope(iteration), state));
		throw new ReplayEndError();
	}
	const prune = (before: number) => {
		entry = pruneLoop(engine, scope, path, entry, before);
	};
	for (;;) {
		scope.check();
		const current = iterationScope(iteration);
		const result = await runIteration(current, state);
		current.finish();
		// Its steps' compensations may run later: a replay needs the state it started with.
		if (current.compensable) journal.putIterationInput(path, iteration, state);
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
			prune(next - keep);
			return copyOf(entry.output);
		}
		if (isContinue(result)) state = toRaw(result.state);
		else if (result !== undefined) {
			throw invalidWorkflowUse(
				`loop '${location}': an iteration must return Loop.break(value), Loop.continue(state) or nothing`,
			);
		}
		entry = { ...entry, iteration: next, state };
		journal.put(path, entry);
		if (next % pruneEvery === 0) prune(next - keep);
		iteration = next;
		// Let I/O, other actors and the group commit run between iterations:
		// a loop of quick steps would otherwise never leave the microtask queue.
		await new Promise((resolve) => setImmediate(resolve));
	}
}

/**
 * Prunes the loop's iterations before `before`, but for those with steps
 * whose compensation may still run (a rollback would run it: before
 * 2026-11-26 it was skipped silently once pruned, a review). Records on the
 * loop entry that pruned iterations consumed queue messages. Returns the entry.
 */
function pruneLoop(
	engine: WorkflowEngine,
	scope: Scope,
	path: readonly number[],
	entry: JournalEntry,
	before: number,
): JournalEntry {
	if (before <= 0) return entry;
	const journal = engine.journal;
	const kept = new Set<number>();
	const inputs = journal.iterationInputs(path);
	if (inputs.length > 0) {
		// A later checkpoint (or a rollback) may have settled an iteration's compensations.
		// The iterations of this loop that hold a pending step, gathered in one pass: testing
		// every kept iteration against every pending step cost kept × pending per prune, and a
		// loop whose iterations each run a compensable step (one per queue message a client
		// sends) keeps them all: 4,000 iterations took 28 s and stalled the loop 460 ms per
		// prune (an attacker probe, 2026-11-26).
		const depth = path.length;
		const holding = new Set<number>();
		for (const step of pendingCompensations(journal, engine.compensations, scope.frame.path)) {
			if (step.length > depth && isPrefix(path, step)) holding.add(step[depth] as number);
		}
		for (const { iteration } of inputs) {
			if (holding.has(iteration)) kept.add(iteration);
			else journal.deleteIterationInput(path, iteration);
		}
	}
	const checkpoint =
		entry.checkpointPruned !== true && prunesCheckpoint(engine, path, before, kept);
	const { pruned, consumed } = journal.pruneIterations(path, before, kept);
	engine.compensations.forgetIterations(path, pruned);
	const marks = {
		...(consumed && entry.consumedPruned !== true ? { consumedPruned: true } : {}),
		...(checkpoint ? { checkpointPruned: true } : {}),
	};
	if (Object.keys(marks).length === 0) return entry;
	const marked = { ...entry, ...marks };
	journal.put(path, marked);
	return marked;
}

/**
 * True if the iterations about to be pruned hold a checkpoint of the loop's
 * frame. Every step it made moot is in them too, or before the loop: the
 * steps of the kept iterations are after it, or it would have made them moot.
 */
function prunesCheckpoint(
	engine: WorkflowEngine,
	path: readonly number[],
	before: number,
	kept: ReadonlySet<number>,
): boolean {
	const journal = engine.journal;
	const depth = path.length;
	const frame = frameOf(journal, [...path, 0, 0]);
	for (const { path: at, entry } of journal.all()) {
		if (entry.kind !== "rollback_checkpoint" || at.length <= depth || !isPrefix(path, at)) continue;
		const iteration = at[depth] as number;
		if (iteration < before && !kept.has(iteration) && frameOf(journal, at).length === frame.length)
			return true;
	}
	return false;
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
	const frame = new RollbackFrame(scope.frame, [...path, 0]);
	const block = (replayOnly = false) => scope.child(path, 0, location, { frame, replayOnly });
	if (recorded?.status === "completed") {
		const result = recorded.output as TryBlockResult<unknown>;
		// Its steps' compensations are its enclosing frame's now (see rollback.ts).
		if (result.ok && scopesToReplay(journal, engine.compensations, path).size > 0)
			await replayFinished(() => config.run(ctx.child(block(true))));
		return copyOf(result);
	}
	if (scope.replayOnly) {
		await replayFinished(() => config.run(ctx.child(block())));
		throw new ReplayEndError();
	}
	const blockScope = block();
	const write = (status: "completed" | "failed", fields: Partial<JournalEntry>) =>
		journal.put(path, {
			kind: "try",
			name: config.name,
			status,
			createdAt: recorded?.createdAt ?? engine.now(),
			completedAt: engine.now(),
			...fields,
		});
	const record = (result: TryBlockResult<unknown>) => {
		write("completed", { output: result });
		return copyOf(result);
	};
	let failure: TryBlockFailure | undefined;
	try {
		const value = engine.host.toRaw(await config.run(ctx.child(blockScope)));
		blockScope.finish();
		// The block's steps are compensated if the enclosing code fails later.
		return record({ ok: true, value });
	} catch (error) {
		if (stopsEverything(error)) throw error;
		failure = classify(error);
		// Without a try entry, the block's steps are the enclosing frame's to compensate.
		if (failure === undefined || !catching.includes(failure.source)) throw error;
	}
	try {
		await engine.compensate(frame);
	} catch (error) {
		if (error instanceof RollbackError && catching.includes("rollback")) {
			return record({ ok: false, failure: classify(error) as TryBlockFailure });
		}
		// The block rolled back its own steps (and one failed): the enclosing frame leaves them.
		if (error instanceof RollbackError) write("failed", { error: errorInfo(error) });
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
		// An old journal: the removed entry is skipped, and with it the compensations of its steps.
		const path = scope.skip();
		for (const step of engine.journal.compensableUnder(path)) engine.compensations.set(step, null);
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
	if (scope.replayOnly) throw new ReplayEndError();
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
