// Public entry point of `tenon/workflow`: durable, replayable run handlers.

import type { ActorContext } from "../actor/context.js";
import type { EventDecls } from "../actor/events.js";
import { isRunProvider, type RunHost, type RunProvider } from "../actor/run-host.js";
import { WorkflowEngine, type WorkflowFunction } from "./engine.js";
import { rewindJournal } from "./rewind.js";
import type { WorkflowContext, WorkflowOptions } from "./types.js";

export {
	CancelledError,
	CriticalError,
	HistoryDivergedError,
	JoinError,
	OutsideStepError,
	RaceError,
	RollbackError,
	StepFailedError,
	type StepFailureKind,
	type WorkflowErrorInfo,
} from "./errors.js";
export { Loop } from "./flow.js";
export { readWorkflowHistory } from "./history.js";
export type { ReplayPoint } from "./rewind.js";
export { STEP_DEFAULTS } from "./step.js";
export type {
	BranchConfig,
	EntryKind,
	LoopBreak,
	LoopConfig,
	LoopContinue,
	StepConfig,
	TryBlockCatchKind,
	TryBlockConfig,
	TryBlockFailure,
	TryBlockResult,
	TryStepCatchKind,
	TryStepConfig,
	TryStepFailure,
	TryStepResult,
	WorkflowContext,
	WorkflowContextOf,
	WorkflowErrorEvent,
	WorkflowHistory,
	WorkflowHistoryEntry,
	WorkflowNextOptions,
	WorkflowOptions,
	WorkflowQueue,
	WorkflowRollbackErrorEvent,
	WorkflowRunErrorEvent,
	WorkflowStatus,
	WorkflowStepContext,
	WorkflowStepContextOf,
	WorkflowStepErrorEvent,
} from "./types.js";

/**
 * The `run` handler a workflow becomes. At runtime it is a {@link RunProvider}
 * (the runtime starts it with the actor's run host after every wake); its
 * type is the plain `run` function's, so the actor's types flow into the
 * workflow's context the way they flow into a `run` function.
 */
export type WorkflowRunHandler<S, CP, CS, V, E extends EventDecls, Q, D = undefined> = (
	c: ActorContext<S, CP, CS, V, E, Q, D>,
) => Promise<void>;

/**
 * Turns `fn` into an actor's `run` handler whose progress is journaled in the
 * actor's storage: after a sleep, restart or crash it replays the journal
 * (completed steps return their recorded results) and continues where it was.
 *
 * @example
 * run: workflow(async (ctx) => {
 *   const id = await ctx.step("reserve", (c) => reserve(c.state.sku));
 *   await ctx.sleep("cool-off", 60_000);
 *   await ctx.step("confirm", (c) => { c.state.reservation = id; });
 * }),
 */
export function workflow<S, CP, CS, V, E extends EventDecls, Q, D = undefined>(
	fn: (ctx: WorkflowContext<S, CP, CS, V, E, Q, D>) => Promise<unknown>,
	options: WorkflowOptions<S, CP, CS, V, E, Q, D> = {},
): WorkflowRunHandler<S, CP, CS, V, E, Q, D> {
	if (typeof fn !== "function") throw new TypeError("workflow() needs an async function");
	const called = async (): Promise<void> => {
		throw new TypeError("a workflow runs as an actor's `run` option; the runtime starts it");
	};
	const provider: RunProvider<ActorContext<S, CP, CS, V, E, Q, D>> = Object.assign(called, {
		kind: "workflow",
		run: (host: RunHost) =>
			WorkflowEngine.run(
				host,
				fn as unknown as WorkflowFunction,
				// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
				options as WorkflowOptions<any, any, any, any, any, any, any>,
			),
		rewind: rewindJournal,
	});
	return provider;
}

/** True if `run` (an actor's run option) was made by {@link workflow}. */
export function isWorkflowRun(run: unknown): boolean {
	return isRunProvider(run) && run.kind === "workflow";
}
