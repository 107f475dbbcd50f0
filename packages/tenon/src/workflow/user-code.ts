// Which workflow's user code (a step's function, a compensation, the
// `onError` hook) the caller runs in, followed through awaits: workflow calls
// made there are refused (see context.ts).
import { AsyncLocalStorage } from "node:async_hooks";
import type { WorkflowEngine } from "./engine.js";

/** Options of `WorkflowEngine.runInStep`. */
export interface InStepOptions<T> {
	/** What runs, for the error a workflow call made inside it gets (`step 'charge'`). */
	label: string;
	/** Marks the calling context as inside a step (actor data usable); returns the unmark. */
	mark?: () => () => void;
	timeoutMs?: number;
	onTimeout?: () => unknown;
	/** Runs as soon as the function returned, before its turn commits (to journal the result with its writes). */
	onSuccess?: (value: Awaited<T>) => void;
}

const userCode = new AsyncLocalStorage<{ engine: WorkflowEngine; label: string }>();

/** Runs `fn`, user code of `engine`'s workflow described by `label` (`step 'charge'`). */
export function runUserCode<T>(engine: WorkflowEngine, label: string, fn: () => T): T {
	return userCode.run({ engine, label }, fn);
}

/**
 * What the caller runs in, if inside user code of `engine`'s workflow
 * (whatever that code called, even after an await). Workflow code that
 * started steps side by side (`Promise.all`) does not run inside them, nor
 * does another actor's workflow such code woke (another engine).
 */
export function runningUserCode(engine: WorkflowEngine): string | undefined {
	const running = userCode.getStore();
	return running?.engine === engine ? running.label : undefined;
}
