// Public entry point of `tenon/workflow`: durable, replayable run handlers.

import type { ActorContext } from "../actor/context.js";
import type { EventDecls } from "../actor/events.js";
import { runHostOf } from "../runtime/run-host.js";
import { WorkflowEngine, type WorkflowFunction } from "./engine.js";
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

/** The `run` handler a workflow becomes. */
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
	const run: WorkflowRunHandler<S, CP, CS, V, E, Q, D> = (c) =>
		WorkflowEngine.run(
			runHostOf(c),
			fn as unknown as WorkflowFunction,
			options as WorkflowOptions<any, any, any, any, any, any, any>,
		);
	Object.defineProperty(run, WORKFLOW_RUN, { value: true });
	return run;
}

const WORKFLOW_RUN = Symbol.for("tenon.workflowRun");

/** True if `run` (an actor's run handler) was made by {@link workflow}. */
export function isWorkflowRun(run: unknown): boolean {
	return typeof run === "function" && (run as { [WORKFLOW_RUN]?: true })[WORKFLOW_RUN] === true;
}
