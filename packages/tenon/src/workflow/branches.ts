// `ctx.join` and `ctx.race`: branches that run concurrently, each in its own
// scope, journaled so that replay skips what already finished.
import { callAsync } from "../common/timeouts.js";
import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import {
	CancelledError,
	errorInfo,
	HistoryDivergedError,
	invalidWorkflowUse,
	isCodeError,
	isControlError,
	JoinError,
	RaceError,
	ReplayEndError,
	type WorkflowErrorInfo,
} from "./errors.js";
import { type BranchRecord, copyOf, isPrefix, type JournalEntry } from "./journal.js";
import { RaceGate } from "./race-gate.js";
import { replayFinished, scopesToReplay } from "./rollback.js";
import type { BranchConfig } from "./types.js";

function checkBranchNames(location: string, names: string[], recorded: JournalEntry | undefined) {
	if (recorded?.branches === undefined) return;
	const before = Object.keys(recorded.branches);
	if (before.length !== names.length || before.some((name, i) => name !== names[i])) {
		throw new HistoryDivergedError(
			location,
			`the branches are [${names.join(", ")}] but the journal has [${before.join(", ")}]`,
		);
	}
}

function pendingBranches(names: string[]): Record<string, BranchRecord> {
	return Object.fromEntries(names.map((name) => [name, { status: "pending" as const }]));
}

/** True for errors that must stop the whole workflow code (not failures of a branch). */
export function stopsEverything(error: unknown): boolean {
	return isControlError(error) || isCodeError(error);
}

/**
 * `ctx.join`: branches run concurrently, each in its own scope; each
 * branch's result is journaled when it finishes, so replay skips finished
 * branches. Fails with {@link JoinError} if any branch fails (after all of
 * them settled).
 */
export async function runJoin(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	branches: Record<string, BranchConfig<unknown, WorkflowContextImpl>>,
): Promise<Record<string, unknown>> {
	if (typeof branches !== "object" || branches === null) {
		throw invalidWorkflowUse(`join '${name}' needs an object of branches`);
	}
	const names = Object.keys(branches);
	for (const branch of names) {
		if (typeof branches[branch]?.run !== "function") {
			throw invalidWorkflowUse(`join '${name}': branch '${branch}' needs a run function`);
		}
	}
	const scope = ctx.scope;
	const journal = engine.journal;
	const { path, entry: recorded, location } = scope.claim("join", name);
	checkBranchNames(location, names, recorded);
	const entry: JournalEntry = recorded ?? {
		kind: "join",
		name,
		status: "pending",
		createdAt: engine.now(),
		branches: pendingBranches(names),
	};
	const records = entry.branches as Record<string, BranchRecord>;
	// Finished branches whose steps' compensations this life does not know yet run again
	// (see rollback.ts); in a scope replayed for that, so do the unfinished ones.
	const replay =
		recorded === undefined
			? new Set<number>()
			: scopesToReplay(journal, engine.compensations, path);
	const replayBranch = (branch: string, index: number) =>
		replayFinished(() =>
			(branches[branch] as BranchConfig<unknown, WorkflowContextImpl>).run(
				ctx.child(scope.child(path, index, `${location}.${branch}`, { replayOnly: true })),
			),
		);
	if (recorded?.status === "completed" || scope.replayOnly) {
		for (const [index, branch] of names.entries()) {
			if (replay.has(index) || records[branch]?.status !== "completed")
				await replayBranch(branch, index);
		}
		if (recorded?.status !== "completed") throw new ReplayEndError();
		return Object.fromEntries(names.map((branch) => [branch, copyOf(records[branch]?.output)]));
	}
	if (recorded === undefined) journal.put(path, entry);
	// Stops the other branches if one hits a control or code error.
	const stop = new AbortController();
	const signal = AbortSignal.any([scope.signal, stop.signal]);
	const results = await Promise.allSettled(
		names.map(async (branch, index) => {
			const record = records[branch];
			if (record?.status === "completed") {
				if (replay.has(index)) await replayBranch(branch, index);
				return copyOf(record.output);
			}
			const branchScope = scope.child(path, index, `${location}.${branch}`, { signal });
			try {
				const output = engine.host.toRaw(
					await (branches[branch] as BranchConfig<unknown, WorkflowContextImpl>).run(
						ctx.child(branchScope),
					),
				);
				branchScope.finish();
				records[branch] = { status: "completed", output };
				journal.put(path, entry);
				return copyOf(output);
			} catch (error) {
				if (stopsEverything(error)) stop.abort(new CancelledError(location));
				throw error;
			}
		}),
	);
	// A control or code error stops the workflow code; the cancellations it
	// caused in sibling branches are only its consequence.
	const stops = results
		.filter((result): result is PromiseRejectedResult => result.status === "rejected")
		.map((result) => result.reason)
		.filter(stopsEverything);
	if (stops.length > 0) throw stops.find((error) => !(error instanceof CancelledError)) ?? stops[0];
	const failures: Record<string, WorkflowErrorInfo> = {};
	results.forEach((result, index) => {
		if (result.status === "fulfilled") return;
		const branch = names[index] as string;
		const error = errorInfo(result.reason);
		failures[branch] = error;
		records[branch] = { status: "failed", error };
	});
	if (Object.keys(failures).length > 0) {
		entry.status = "failed";
		journal.put(path, entry);
		throw new JoinError(location, failures);
	}
	entry.status = "completed";
	entry.completedAt = engine.now();
	journal.put(path, entry);
	return Object.fromEntries(
		results.map((result, index) => [
			names[index] as string,
			(result as PromiseFulfilledResult<unknown>).value,
		]),
	);
}

/**
 * `ctx.race`: branches run concurrently; the first to finish wins, is
 * journaled, and the others are cancelled (their pending waits end; a step
 * already running finishes). Replay returns the recorded winner without
 * running any branch (but those holding steps whose compensations this life
 * does not know yet: see rollback.ts). Fails with {@link RaceError} if every
 * branch fails.
 */
export async function runRace(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	branches: ReadonlyArray<{ name: string; run: (ctx: WorkflowContextImpl) => Promise<unknown> }>,
): Promise<{ winner: string; value: unknown }> {
	if (!Array.isArray(branches) || branches.length === 0) {
		throw invalidWorkflowUse(`race '${name}' needs a list of branches`);
	}
	const names = branches.map((branch) => branch?.name);
	if (
		names.some((branch) => typeof branch !== "string" || branch === "") ||
		new Set(names).size !== names.length ||
		branches.some((branch) => typeof branch.run !== "function")
	) {
		throw invalidWorkflowUse(`race '${name}': branches need unique names and run functions`);
	}
	const scope = ctx.scope;
	const journal = engine.journal;
	const { path, entry: recorded, location } = scope.claim("race", name);
	checkBranchNames(location, names, recorded);
	if (recorded?.status === "completed" || scope.replayOnly) {
		const replay = scopesToReplay(journal, engine.compensations, path);
		for (const [index, branch] of branches.entries()) {
			if (recorded?.status === "completed" && !replay.has(index)) continue;
			const branchScope = scope.child(path, index, `${location}.${branch.name}`, {
				replayOnly: true,
			});
			await replayFinished(() => branch.run(ctx.child(branchScope)));
		}
		if (recorded?.status !== "completed") throw new ReplayEndError();
		// What the losers still held at a crash (the workflow took it back at its start) goes
		// back; not from a scope replayed only to learn compensations, which writes nothing.
		if (!scope.replayOnly) {
			names.forEach((branch, index) => {
				if (branch !== recorded.winner) giveBackBranch(engine, [...path, index]);
			});
		}
		return { winner: recorded.winner as string, value: copyOf(recorded.output) };
	}
	const entry: JournalEntry = recorded ?? {
		kind: "race",
		name,
		status: "pending",
		createdAt: engine.now(),
		branches: pendingBranches(names),
	};
	const records = entry.branches as Record<string, BranchRecord>;
	if (recorded === undefined) journal.put(path, entry);
	const cancel = new AbortController();
	const signal = AbortSignal.any([scope.signal, cancel.signal]);
	const gate = new RaceGate();
	// Replayed after a restart: a branch that had received messages holds the race again, as
	// it did (a sibling's live receive, started first, took its messages before the replay
	// reached the claim).
	if (recorded !== undefined) {
		const holder = branches.findIndex((_, index) => receivedIn(engine, [...path, index]));
		if (holder >= 0) gate.claim(holder);
	}
	return new Promise((resolve, reject) => {
		let decided = false;
		/** The winner, once journaled. */
		let winner: number | undefined;
		/** Branches whose code ended. */
		const ended = new Set<number>();
		const failures: Record<string, WorkflowErrorInfo> = {};
		const decide = (won?: number) => {
			decided = true;
			cancel.abort(new CancelledError(location));
			if (won === undefined) return;
			winner = won;
			for (const index of ended) if (index !== won) giveBackBranch(engine, [...path, index]);
		};
		branches.forEach((branch, index) => {
			const branchScope = scope.child(path, index, `${location}.${branch.name}`, {
				signal,
				seat: { gate, branch: index },
			});
			const running = callAsync(() => branch.run(ctx.child(branchScope)));
			running.then(
				(value) => {
					if (decided) return;
					try {
						branchScope.finish();
						const output = engine.host.toRaw(value);
						records[branch.name] = { status: "completed", output };
						Object.assign(entry, {
							status: "completed",
							winner: branch.name,
							output,
							completedAt: engine.now(),
						});
						journal.put(path, entry);
						decide(index);
						resolve({ winner: branch.name, value: copyOf(output) });
					} catch (error) {
						decide();
						reject(error);
					}
				},
				(error: unknown) => {
					if (decided) return;
					if (stopsEverything(error)) {
						decide();
						reject(error);
						return;
					}
					const info = errorInfo(error);
					failures[branch.name] = info;
					records[branch.name] = { status: "failed", error: info };
					journal.put(path, entry);
					if (Object.keys(failures).length === branches.length) {
						decide();
						entry.status = "failed";
						journal.put(path, entry);
						reject(new RaceError(location, failures));
					}
				},
			);
			// Registered after the handlers above: the winner is known when its own code ended.
			const end = () => {
				gate.waits(index);
				ended.add(index);
				if (winner !== undefined && index !== winner) giveBackBranch(engine, [...path, index]);
			};
			running.then(end, end);
		});
	});
}

/** True when the branch at `branchPath` has received messages (journaled). */
function receivedIn(engine: WorkflowEngine, branchPath: readonly number[]): boolean {
	for (const { path, entry } of engine.journal.all()) {
		if (entry.kind === "message" && (entry.messages?.length ?? 0) > 0 && isPrefix(branchPath, path))
			return true;
	}
	return false;
}

/**
 * A race was won and the branch at `branchPath` lost, its code ended: what it
 * received completable and did not complete goes back to the queue (its
 * result was thrown away; a step it ran finished, and one that completed its
 * message kept it), marked in the journal so that no later start takes it
 * back. A plain message it received was its own. Not for a race that failed
 * or stopped: its branches run again, replaying what they received.
 */
function giveBackBranch(engine: WorkflowEngine, branchPath: readonly number[]): void {
	const ids: string[] = [];
	for (const { path, entry } of [...engine.journal.all()]) {
		if (entry.kind !== "message" || !isPrefix(branchPath, path)) continue;
		let changed = false;
		for (const message of entry.messages ?? []) {
			if (!message.completable || message.completed || message.givenBack === true) continue;
			message.givenBack = true;
			engine.leased.delete(message.id);
			ids.push(message.id);
			changed = true;
		}
		if (changed) engine.journal.put(path, entry);
	}
	if (ids.length > 0) engine.host.queue.release(ids);
}
