import { isRunProvider, type RunHost } from "../actor/run-host.js";
import { outsideTrace } from "../observability/tracing.js";
import type { ActorParts, AssemblyHost } from "./actor-assembly.js";
import { ActorRun } from "./actor-run.js";
import { ActorContextImpl } from "./context-impl.js";
import { type ActionHolder, providerHolder } from "./queue-records.js";
import type { HeldQueueView } from "./queue-views.js";
import { createRunHost } from "./run-host.js";

/** An actor's running `run` handler, whichever kind it is. */
export type ActorRuns = ActorRun<RunHost> | ActorRun<ActorContextImpl>;

/**
 * Starts the actor's `run` option after a wake: a function of the context,
 * or a run provider (a workflow) driven through its published port.
 * Undefined when the actor has none.
 */
export function startRuns(host: AssemblyHost, p: ActorParts): ActorRuns | undefined {
	const { deps } = host;
	const run = deps.definition.config.run;
	if (!run) return undefined;
	const common = {
		clock: deps.clock,
		log: host.log,
		abortSignal: host.abortSignal,
		progress: () => p.queueIfMade?.leases.runCompletions ?? 0,
		onChange: () => {
			p.afterTurn();
			p.activity.changed();
		},
		onIdle: () => p.activity.maybeIdle(),
		runFailed: () => deps.metrics.runFailed(),
		onWorkChanged: () => p.activity.changed(),
		onWakeAtChanged: () => {
			p.schedules.alarmChanged();
			p.writesOutsideTurn();
		},
	};
	let runs: ActorRuns;
	if (isRunProvider(run)) {
		const parts = {
			actorId: host.actorId,
			log: host.log,
			clock: deps.clock,
			abortSignal: host.abortSignal,
			context: p.context,
			attemptContext: (attempt: number, signal: AbortSignal) =>
				p.context.forAttempt(attempt, signal),
			writes: p.writes,
			queue: p.queue,
			track: <T>(work: Promise<T>) => p.activity.track(work),
			toRaw: <T>(value: T) => p.tracker.toRaw(value),
			persist: () => p.writer.flush(),
			writesDurable: () => p.writer.whenDurable(p.core.outputGeneration()),
			failed: () => deps.metrics.workflowFailed(),
		};
		// A run provider's leases are its journal's: kept when a run fails or halts (the next
		// run takes over what its journal lists; a replay releases what it removes). Each run
		// holds them as a holder of its own, ended when it fails or halts, so code it left
		// running takes and completes nothing more (one holder for every run let a failed
		// run's leftover code take the next run's messages and complete them: a review).
		let holder: ActionHolder | undefined;
		runs = new ActorRun<RunHost>({
			...common,
			releaseLeases: () => {
				if (holder !== undefined) p.queue.leases.endHolder(holder);
			},
			// Its waits, queue waits too, are told through setIdle.
			hasQueueReceivers: () => false,
			run: async (runHost) => {
				await run.run(runHost);
				// Returned by itself (not halted, the actor not stopping): what it kept from
				// earlier lives and did not take over goes back (QueueLeases.restored).
				if (!runHost.abortSignal.aborted && holder !== undefined) p.queue.leases.restored(holder);
			},
			// Its own signal per run: the inspector's replay halts and restarts it.
			createContext: (control, signal) => {
				if (holder !== undefined) p.queue.leases.endHolder(holder);
				holder = providerHolder();
				// What earlier runs hold is this run's to take over (QueueLeases.reclaim).
				p.queue.leases.reclaim(holder);
				return createRunHost(
					{ ...parts, abortSignal: signal ?? parts.abortSignal },
					control,
					holder,
				);
			},
			haltable: true,
		});
	} else {
		// Each run of the handler holds its own leases: released, and its receives ended, if
		// it fails (one holder for every run let a failed run's leftover receive take messages
		// for nobody, and its leftover completion complete the next run's: a review, 2026-11-26).
		let view: HeldQueueView | undefined;
		runs = new ActorRun<ActorContextImpl>({
			...common,
			// This run's own receives: another holder's waiting one made a working run look
			// idle, and the actor slept in the middle of its work (a review).
			hasQueueReceivers: () => view !== undefined && (p.queueIfMade?.waiting(view.holder) ?? false),
			releaseLeases: () => view?.releaseLeases(),
			run,
			createContext: () => {
				view = p.queue.newRunView();
				return new ActorContextImpl(p.surface, view);
			},
		});
	}
	// Outside the trace of the request that woke the actor: the handler outlives it.
	outsideTrace(() => runs.start());
	return runs;
}
