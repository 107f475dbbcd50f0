// Which compensations a rollback runs, and where their functions come from.
//
// The list comes from the journal: the completed steps with a `rollback`
// (journaled `compensable`) since the frame's last checkpoint, in journal
// order, rolled back newest first. Before 2026-11-26 it was kept in memory,
// filled as step calls ran, so a rollback after a sleep or a restart missed
// the steps of join and race branches, try blocks and loop iterations that
// the replay skipped, and those of iterations a loop pruned (a review).
//
// A compensation is a function given at its step's call, so it is only known
// once that call ran in this life (first run or replay). A replay that skips
// a finished scope (a join's or race's branch, a try block, a loop's earlier
// iteration) therefore runs its code again, in replay-only mode, when it has
// steps awaiting compensation whose function is not known yet: every call
// returns its recorded result and the code stops where the journal ends (a
// race's loser was cut short). A loop records the state its iterations with
// such steps started with, and keeps those iterations when it prunes, so it
// can run them again. A compensation whose function is still unknown when
// the rollback reaches it fails the rollback (RollbackError); it is never
// skipped silently.
import type { ActorContext } from "../actor/context.js";
import type { WorkflowEngine } from "./engine.js";
import {
	CompensationCrashedError,
	CompensationTimeoutError,
	EvictedError,
	errorInfo,
	isCodeError,
	isControlError,
	ReplayEndError,
	RollbackError,
} from "./errors.js";
import {
	awaitsCompensation,
	copyOf,
	isPrefix,
	type Journal,
	type JournalEntry,
} from "./journal.js";
import type { RollbackFrame } from "./scope.js";

/**
 * Crashes of the process during one compensation that it runs again after
 * (a step's default retries); at the next it fails.
 */
export const MAX_COMPENSATION_CRASHES = 3;

/** A step's compensation, known once the step's call ran in this life. */
export interface KnownCompensation {
	/** The step's readable location. */
	name: string;
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	rollback: (c: ActorContext<any, any, any, any, any, any, any>, output: any) => unknown;
	/** The step's attempt timeout: a compensation that takes longer failed. */
	timeoutMs: number;
}

const pathId = (path: readonly number[]): string => path.join(",");

/**
 * The compensations known in this life, by step path. `null`: the step's
 * call ran without a `rollback` (a deploy removed it): nothing to run. Entries
 * go with the loop iterations they are in when the loop prunes them, or once
 * they ran, so a long loop keeps only those of the iterations it keeps.
 */
export class CompensationRegistry {
	readonly #known = new Map<string, { path: number[]; known: KnownCompensation | null }>();

	get(path: readonly number[]): KnownCompensation | null | undefined {
		return this.#known.get(pathId(path))?.known;
	}

	has(path: readonly number[]): boolean {
		return this.#known.has(pathId(path));
	}

	set(path: readonly number[], known: KnownCompensation | null): void {
		this.#known.set(pathId(path), { path: [...path], known });
	}

	delete(path: readonly number[]): void {
		this.#known.delete(pathId(path));
	}

	/** Forgets the compensations in the pruned `iterations` of the loop at `loopPath`. */
	forgetIterations(loopPath: readonly number[], iterations: readonly number[]): void {
		if (iterations.length === 0) return;
		const pruned = new Set(iterations);
		const depth = loopPath.length;
		for (const [id, { path }] of this.#known) {
			if (path.length > depth && isPrefix(loopPath, path) && pruned.has(path[depth] as number))
				this.#known.delete(id);
		}
	}
}

function comparePaths(a: readonly number[], b: readonly number[]): number {
	for (let i = 0; i < Math.min(a.length, b.length); i++) {
		const difference = (a[i] as number) - (b[i] as number);
		if (difference !== 0) return difference;
	}
	return a.length - b.length;
}

type Located = { path: number[]; entry: JournalEntry };

/**
 * The steps a rollback of the frame at `framePath` compensates, oldest first:
 * the completed steps with a compensation not run yet (a failed one included:
 * the rollback stops there), since the frame's last checkpoint, in journal
 * order. A `try` block is its own frame: its steps count here if it succeeded,
 * or if it has no entry yet (the failure passes through it), not if it
 * returned a failure or its own rollback failed (it ran theirs).
 */
export function pendingCompensations(
	journal: Journal,
	registry: CompensationRegistry,
	framePath: readonly number[],
): number[][] {
	const depth = framePath.length;
	const under = [...journal.all()]
		.filter(({ path }) => path.length > depth && isPrefix(framePath, path))
		.sort((a, b) => comparePaths(a.path, b.path));
	return walk(journal, registry, under, framePath);
}

function walk(
	journal: Journal,
	registry: CompensationRegistry,
	sorted: Located[],
	framePath: readonly number[],
): number[][] {
	let list: number[][] = [];
	for (let i = 0; i < sorted.length; ) {
		const { path, entry } = sorted[i] as Located;
		const block = tryBlockOf(journal, framePath, path, entry);
		if (block !== undefined) {
			let end = i;
			while (end < sorted.length && isPrefix(block.tryPath, (sorted[end] as Located).path)) end++;
			if (block.counts) {
				const inside = sorted.slice(i, end).filter((e) => e.path.length > block.tryPath.length);
				for (const found of walk(journal, registry, inside, [...block.tryPath, 0]))
					list.push(found);
			}
			i = end;
			continue;
		}
		if (entry.kind === "rollback_checkpoint" || entry.checkpointPruned === true) list = [];
		else if (awaitsCompensation(entry)) list.push(path);
		// Journaled before steps recorded `compensable`: known from its call in this life.
		else if (
			entry.kind === "step" &&
			entry.status === "completed" &&
			entry.rolledBackAt === undefined &&
			registry.get(path)
		)
			list.push(path);
		i++;
	}
	return list;
}

/**
 * The path of the rollback frame the entry at `path` is in: the innermost
 * `try` block around it, or `[]` (the workflow).
 */
export function frameOf(journal: Journal, path: readonly number[]): number[] {
	let frame: number[] = [];
	for (let length = 1; length < path.length; length += 2) {
		const at = journal.get(path.slice(0, length));
		if (at === undefined || at.kind === "try") frame = [...path.slice(0, length), 0];
	}
	return frame;
}

/**
 * True if the journal holds a checkpoint that a step at `stepPath` comes
 * after, in its frame or an enclosing one: one the replay skipped (in a
 * finished scope) or a loop pruned.
 */
export function journaledCheckpoint(journal: Journal, stepPath: readonly number[]): boolean {
	for (const { path, entry } of journal.all()) {
		if (entry.kind !== "rollback_checkpoint" && entry.checkpointPruned !== true) continue;
		if (comparePaths(path, stepPath) < 0 && isPrefix(frameOf(journal, path), stepPath)) return true;
	}
	return false;
}

/** The outermost `try` between the frame and the entry at `path` (or the entry itself). */
function tryBlockOf(
	journal: Journal,
	framePath: readonly number[],
	path: readonly number[],
	entry: JournalEntry,
): { tryPath: number[]; counts: boolean } | undefined {
	// Entry positions below the frame: [...frame, ordinal], then 2 more segments per nested scope.
	for (let length = framePath.length + 1; length <= path.length; length += 2) {
		const at = length === path.length ? entry : journal.get(path.slice(0, length));
		// Only a try block has entries under a position without an entry (it writes its own at the end).
		if (at !== undefined && at.kind !== "try") continue;
		const succeeded =
			at?.status === "completed" && (at.output as { ok?: unknown } | undefined)?.ok === true;
		return { tryPath: path.slice(0, length), counts: at === undefined || succeeded };
	}
	return undefined;
}

/**
 * The nested scopes (their segments: branch index, iteration, 0 for a try
 * block) under the entry at `entryPath` that hold steps awaiting compensation
 * whose function this life does not know: their code must run again.
 */
export function scopesToReplay(
	journal: Journal,
	registry: CompensationRegistry,
	entryPath: readonly number[],
): Set<number> {
	const depth = entryPath.length;
	const segments = new Set<number>();
	for (const path of journal.compensableUnder(entryPath)) {
		if (path.length <= depth || registry.has(path)) continue;
		// A failed compensation stops the rollback at once, without its function.
		if (journal.get(path)?.rollbackError !== undefined) continue;
		segments.add(path[depth] as number);
	}
	return segments;
}

/**
 * Runs a finished scope's code again in replay-only mode (see above): it
 * ends where its journal does, or where its first run failed. Eviction, a
 * divergence or a misuse still stop the workflow.
 */
export async function replayFinished(run: () => Promise<unknown>): Promise<void> {
	try {
		await run();
	} catch (error) {
		if (error instanceof ReplayEndError) return;
		if (isControlError(error) || isCodeError(error)) throw error;
		// Anything else is a recorded failure its first run met the same way.
	}
}

/**
 * Runs the compensations of `frame` (see above), newest first,
 * recording each one done. Each is journaled as rolling back and made
 * durable before it runs (a commit each; rollbacks are rare). One found
 * rolling back after a crash ran when the process died: it runs again
 * (compensations run at least once), until the process died in it more
 * than {@link MAX_COMPENSATION_CRASHES} times; then it failed, and the
 * rollback stops with `RollbackError`, as for one that threw, took longer
 * than its step's timeout, or whose function this life does not know.
 * Before 2026-11-26 a compensation that killed the process ran again at
 * every start and kept it down, and one that never settled kept the
 * workflow waiting for good (a review).
 */
export async function compensate(engine: WorkflowEngine, frame: RollbackFrame): Promise<void> {
	const pending = pendingCompensations(engine.journal, engine.compensations, frame.path);
	for (let i = pending.length - 1; i >= 0; i--) {
		const path = pending[i] as number[];
		const entry = engine.journal.get(path);
		if (entry === undefined || entry.rolledBackAt !== undefined) continue;
		const known = engine.compensations.get(path);
		// The step's call ran in this life without a rollback: a deploy removed it.
		if (known === null) continue;
		const name = known?.name ?? entry.name;
		// Failed before, and reported: the rollback stops here again.
		if (entry.rollbackError !== undefined) throw new RollbackError(name, entry.rollbackError);
		if (engine.evicted.aborted) throw new EvictedError();
		const { rollingBack, rollbackCrashes, ...done } = entry;
		// Cut short by a graceful stop (no crash since): not counted, as a step's attempt.
		const crashes = (rollbackCrashes ?? 0) + (rollingBack === true && engine.afterCrash ? 1 : 0);
		try {
			if (known === undefined)
				throw new Error("its rollback function is unknown: its step's call did not run");
			if (crashes > MAX_COMPENSATION_CRASHES) throw new CompensationCrashedError(crashes);
			engine.journal.put(path, { ...done, rollingBack: true, rollbackCrashes: crashes });
			await engine.makeDurable();
			if (engine.evicted.aborted) throw new EvictedError();
			const output = copyOf(entry.output);
			await engine.runAttempt(crashes + 1, engine.evicted, (c) => known.rollback(c, output), {
				label: `the compensation of step '${name}'`,
				timeoutMs: known.timeoutMs,
				onTimeout: () => new CompensationTimeoutError(known.timeoutMs),
				onSuccess: () => engine.journal.put(path, { ...done, rolledBackAt: engine.now() }),
			});
			engine.compensations.delete(path);
		} catch (error) {
			if (engine.evicted.aborted || error instanceof EvictedError) throw new EvictedError();
			// Its code misused the API (a step inside it): the run halts until a deploy fixes it.
			if (isCodeError(error)) throw error;
			// Recorded before the hook hears it: a crash in the hook must not make the next
			// start run the compensation and report it again (a review, 2026-11-26).
			const info = errorInfo(error);
			engine.journal.put(path, { ...done, rollbackError: info });
			await engine.report({
				rollback: { workflowId: engine.workflowId, stepName: name, error: info },
			});
			throw new RollbackError(name, info);
		}
	}
}
