import type { ActorContext, Conn } from "../actor/context.js";
import type { ActorKv } from "../actor/kv.js";
import type { ActorCron, ActorSchedule } from "../actor/schedule.js";
import type { ActorKeyList } from "../actor/types.js";
import type { Client } from "../client/types.js";
import { MAX_DATE_MS } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import { runJoin, runRace } from "./branches.js";
import type { WorkflowEngine } from "./engine.js";
import { invalidWorkflowUse, OutsideStepError } from "./errors.js";
import { getVersion, removed, rollbackCheckpoint, runLoop, runTry } from "./flow.js";
import type { Scope } from "./scope.js";
import { runStep, stepConfig, tryStep } from "./step.js";
import type {
	BranchConfig,
	EntryKind,
	LoopConfig,
	TryBlockConfig,
	TryBlockResult,
	TryStepResult,
	WorkflowContext,
	WorkflowQueue,
} from "./types.js";
import { runningUserCode } from "./user-code.js";
import { durableSleep, receive } from "./waits.js";

/**
 * The `ctx` of a workflow (one per scope: the body, each loop iteration,
 * branch and try block). Actor data is reachable while a step of this
 * context, or of a context nested in it, is running; anywhere else it throws.
 */
// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
export class WorkflowContextImpl implements WorkflowContext<any, any, any, any, any, any, any> {
	readonly #engine: WorkflowEngine;
	readonly #scope: Scope;
	readonly #parent: WorkflowContextImpl | undefined;
	/** Steps started from this context that are running. */
	#ownSteps = 0;
	/** Steps started from contexts nested in this one that are running. */
	#nestedSteps = 0;
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	readonly queue: WorkflowQueue<any>;

	constructor(engine: WorkflowEngine, scope: Scope, parent: WorkflowContextImpl | undefined) {
		this.#engine = engine;
		this.#scope = scope;
		this.#parent = parent;
		this.queue = {
			next: (async (name: string, options?: object) => {
				refuseInUserCode(engine, "queue.next");
				return receive(engine, this, name, options ?? {}, false);
				// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
			}) as WorkflowQueue<any>["next"],
			nextBatch: (async (name: string, options?: object) => {
				refuseInUserCode(engine, "queue.nextBatch");
				return receive(engine, this, name, options ?? {}, true);
				// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
			}) as WorkflowQueue<any>["nextBatch"],
		};
	}

	/** @internal The scope this context runs in. */
	get scope(): Scope {
		return this.#scope;
	}

	/** @internal A context for a scope nested in this one. */
	child(scope: Scope): WorkflowContextImpl {
		return new WorkflowContextImpl(this.#engine, scope, this);
	}

	/** @internal Marks a step of this context as running; returns the unmark. */
	enterStep(): () => void {
		this.#ownSteps++;
		for (let parent = this.#parent; parent; parent = parent.#parent) parent.#nestedSteps++;
		return () => {
			this.#ownSteps--;
			for (let parent = this.#parent; parent; parent = parent.#parent) parent.#nestedSteps--;
		};
	}

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	#actor(member: string): ActorContext<any, any, any, any, any, any, any> {
		if (this.#ownSteps === 0 && this.#nestedSteps === 0) throw new OutsideStepError(member);
		return this.#engine.stepContext;
	}

	// ---- Identity -----------------------------------------------------------------

	get workflowId(): string {
		return this.#engine.workflowId;
	}
	get actorId(): string {
		return this.#engine.host.actorId;
	}
	get name(): string {
		return this.#engine.stepContext.name;
	}
	get key(): ActorKeyList {
		return this.#engine.stepContext.key;
	}
	get log(): Logger {
		return this.#engine.stepContext.log;
	}
	get abortSignal(): AbortSignal {
		return this.#engine.evicted;
	}
	isEvicted(): boolean {
		return this.#engine.evicted.aborted;
	}

	// ---- Actor data: inside steps only ---------------------------------------------------

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	get state(): any {
		return this.#actor("state").state;
	}
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	set state(next: any) {
		this.#actor("state").state = next;
	}
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	get vars(): any {
		return this.#actor("vars").vars;
	}
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	set vars(next: any) {
		this.#actor("vars").vars = next;
	}
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	get db(): any {
		return this.#actor("db").db;
	}
	get kv(): ActorKv {
		return this.#actor("kv").kv;
	}
	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	get conns(): ReadonlyMap<string, Conn<any, any, any>> {
		return this.#actor("conns").conns;
	}
	get schedule(): ActorSchedule {
		return this.#actor("schedule").schedule;
	}
	get cron(): ActorCron {
		return this.#actor("cron").cron;
	}
	broadcast(name: string, ...args: unknown[]): void {
		(this.#actor("broadcast").broadcast as (name: string, ...args: unknown[]) => void)(
			name,
			...args,
		);
	}
	client<R>(): Client<R> {
		return this.#actor("client()").client<R>();
	}

	// ---- Primitives ----------------------------------------------------------------------

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	async step(nameOrConfig: any, run?: any): Promise<any> {
		refuseInUserCode(this.#engine, "step");
		return runStep(this.#engine, this, stepConfig(nameOrConfig, run, "step"));
	}

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	async tryStep(nameOrConfig: any, run?: any): Promise<TryStepResult<any>> {
		refuseInUserCode(this.#engine, "tryStep");
		return tryStep(this.#engine, this, stepConfig(nameOrConfig, run, "tryStep"));
	}

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	async try(nameOrConfig: any, run?: any): Promise<TryBlockResult<any>> {
		refuseInUserCode(this.#engine, "try");
		const config: TryBlockConfig<unknown, WorkflowContextImpl> =
			typeof nameOrConfig === "string" ? { name: nameOrConfig, run } : nameOrConfig;
		return runTry(this.#engine, this, config);
	}

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	async loop(nameOrConfig: any, run?: any): Promise<any> {
		refuseInUserCode(this.#engine, "loop");
		const config: LoopConfig<unknown, unknown, WorkflowContextImpl> =
			typeof nameOrConfig === "string" ? { name: nameOrConfig, run } : nameOrConfig;
		return runLoop(this.#engine, this, config);
	}

	async sleep(name: string, durationMs: number): Promise<void> {
		refuseInUserCode(this.#engine, "sleep");
		if (typeof durationMs !== "number" || !(durationMs >= 0) || !(durationMs <= MAX_DATE_MS)) {
			throw invalidWorkflowUse(`sleep '${name}' needs a duration in ms from 0 to 8.64e15`);
		}
		return durableSleep(this.#engine, this, name, (now) => Math.min(MAX_DATE_MS, now + durationMs));
	}

	async sleepUntil(name: string, timestampMs: number): Promise<void> {
		refuseInUserCode(this.#engine, "sleepUntil");
		// Within what a `Date` holds, as timers are: Infinity or 1e300 was journaled and stored as
		// the actor's alarm, and shown as "Invalid Date" (an attacker probe, 2026-11-29).
		if (typeof timestampMs !== "number" || !(timestampMs >= 0) || !(timestampMs <= MAX_DATE_MS)) {
			throw invalidWorkflowUse(`sleepUntil '${name}' needs a timestamp in ms from 0 to 8.64e15`);
		}
		return durableSleep(this.#engine, this, name, () => timestampMs);
	}

	async rollbackCheckpoint(name: string): Promise<void> {
		refuseInUserCode(this.#engine, "rollbackCheckpoint");
		return rollbackCheckpoint(this.#engine, this, name);
	}

	// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	async join(name: string, branches: Record<string, BranchConfig<unknown, any>>): Promise<any> {
		refuseInUserCode(this.#engine, "join");
		return runJoin(this.#engine, this, name, branches);
	}

	async race(
		name: string,
		// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
		branches: ReadonlyArray<{ name: string; run: (ctx: any) => Promise<any> }>,
		// biome-ignore lint/suspicious/noExplicitAny: the workflow engine runs workflows of every actor type; the public WorkflowContext types them for user code.
	): Promise<{ winner: string; value: any }> {
		refuseInUserCode(this.#engine, "race");
		return runRace(this.#engine, this, name, branches);
	}

	async removed(name: string, originalKind: EntryKind): Promise<void> {
		refuseInUserCode(this.#engine, "removed");
		return removed(this.#engine, this, name, originalKind);
	}

	async getVersion(name: string, latest: number): Promise<number> {
		refuseInUserCode(this.#engine, "getVersion");
		return getVersion(this.#engine, this, name, latest);
	}
}

/**
 * Workflow calls are refused inside a step's function (and a compensation, or
 * the `onError` hook): a replay does not run a finished step's function, so
 * the calls it made would be missing and the history would diverge. Before
 * 2026-11-26 a nested step was accepted, then halted the workflow for good at
 * the next wake (a review); it halts it at once now, with its step unfinished.
 */
function refuseInUserCode(engine: WorkflowEngine, what: string): void {
	const inside = runningUserCode(engine);
	if (inside === undefined) return;
	throw invalidWorkflowUse(
		`ctx.${what} was called inside ${inside}: steps do not nest (a replay does not run a finished step's function); call it from the workflow's code, after the step`,
	);
}
