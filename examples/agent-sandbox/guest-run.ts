// One run of guest code in a fresh QuickJS context: the bootstrap, script or module
// evaluation, promise jobs, thrown values and the result's JSON (inside a worker).

import {
	EvalFlags,
	type QuickJSContext,
	type QuickJSHandle,
	type QuickJSRuntime,
} from "quickjs-emscripten";
import { BOOTSTRAP_SOURCE } from "./guest-bootstrap.js";
import { type OutputCollector, truncateUtf8 } from "./output-collector.js";
import { type Outcome, outputOutcome, timeoutOutcome } from "./run-outcome.js";
import type { SandboxLimits } from "./sandbox.js";
import type { Watchdog } from "./watchdog.js";

const KIB = 1024;

/** Heap added once guest code is done, so that describing an out-of-memory error can allocate. */
export const REPORTING_HEADROOM_BYTES = 256 * KIB;
/** Promise jobs run between two checks of the deadline by the host. */
const JOB_BATCH = 64;
/** `JS_EVAL_FLAG_ASYNC` of quickjs.h (not in EvalFlags): top-level await in a script. */
const EVAL_FLAG_ASYNC = 1 << 7;
const SCRIPT_FLAGS = EvalFlags.JS_EVAL_TYPE_GLOBAL | EVAL_FLAG_ASYNC;
const MODULE_FLAGS = EvalFlags.JS_EVAL_TYPE_MODULE;
/** The name the guest's code has in stack traces and parse errors. */
const SOURCE_NAME = "sandbox.js";

/** Handles to dispose when a run ends normally (after a host failure the engine is dropped). */
class OwnedHandles {
	readonly #items: Array<{ readonly alive: boolean; dispose(): void }> = [];

	own<T extends { readonly alive: boolean; dispose(): void }>(item: T): T {
		this.#items.push(item);
		return item;
	}

	disposeAll(): void {
		for (const item of this.#items.reverse()) if (item.alive) item.dispose();
		this.#items.length = 0;
	}
}

/** The guest side of one run: a fresh context in `runtime`, the code, and its result. */
export class GuestRun {
	readonly #runtime: QuickJSRuntime;
	readonly #limits: Required<SandboxLimits>;
	readonly #watchdog: Watchdog;
	readonly #output: OutputCollector;
	readonly #owned = new OwnedHandles();
	/** What the bootstrap's `describe` last reported. */
	#described: ThrownDescription | undefined;

	constructor(
		runtime: QuickJSRuntime,
		limits: Required<SandboxLimits>,
		watchdog: Watchdog,
		output: OutputCollector,
	) {
		this.#runtime = runtime;
		this.#limits = limits;
		this.#watchdog = watchdog;
		this.#output = output;
	}

	/** Evaluates `code`; host failures propagate without disposing anything. */
	execute(code: string): Outcome {
		const runtime = this.#runtime;
		runtime.setMemoryLimit(this.#limits.memoryLimitBytes);
		runtime.setMaxStackSize(this.#limits.stackSizeBytes);
		runtime.setInterruptHandler(this.#watchdog.shouldInterrupt);
		runtime.setModuleLoader((moduleName) => {
			throw new Error(`Cannot import '${moduleName}': the sandbox has no modules`);
		});
		const context = this.#owned.own(runtime.newContext());
		const outcome = this.#evaluate(context, code);
		this.#owned.disposeAll();
		return outcome;
	}

	#evaluate(context: QuickJSContext, code: string): Outcome {
		const helpers = this.#bootstrap(context);
		if (helpers === undefined) {
			if (this.#watchdog.fired) return timeoutOutcome(this.#watchdog);
			return {
				ok: false,
				kind: "memory",
				message: "The sandbox could not start within its limits",
			};
		}
		let mode: "script" | "module" = "script";
		let evaluated = context.evalCode(code, SOURCE_NAME, SCRIPT_FLAGS);
		if (evaluated.error) {
			// An async script reports only parse failures synchronously (what it throws while
			// running rejects its promise), so nothing has run and trying again as a module is safe.
			const scriptError = this.#owned.own(evaluated.error);
			if (!/\b(?:import|export)\b/.test(code)) return this.#thrown(context, helpers, scriptError);
			mode = "module";
			evaluated = context.evalCode(code, SOURCE_NAME, MODULE_FLAGS);
			if (evaluated.error) return this.#thrown(context, helpers, this.#owned.own(evaluated.error));
		}
		const completion = this.#owned.own(evaluated.value);
		const jobError = this.#drainJobs();
		if (this.#watchdog.fired) return timeoutOutcome(this.#watchdog);
		if (jobError !== undefined) return this.#thrown(context, helpers, jobError);
		return this.#whenSettled(context, helpers, completion, (settled) => {
			// A script's promise resolves to `{ value }` (its completion value); a module
			// evaluates to its namespace.
			const key = mode === "module" ? "default" : "value";
			const value = this.#owned.own(context.getProp(settled, key));
			// A returned promise is awaited too: with no timers or I/O in the sandbox, it has
			// settled by now if anything could settle it.
			return this.#whenSettled(context, helpers, value, (result) =>
				this.#serialize(context, helpers, result),
			);
		});
	}

	#whenSettled(
		context: QuickJSContext,
		helpers: Helpers,
		handle: QuickJSHandle,
		next: (value: QuickJSHandle) => Outcome,
	): Outcome {
		const state = context.getPromiseState(handle);
		switch (state.type) {
			case "pending":
				return {
					ok: false,
					kind: "runtime",
					message:
						"The code's promise never settled (the sandbox has no timers or I/O that could settle it)",
				};
			case "rejected":
				return this.#thrown(context, helpers, this.#owned.own(state.error));
			case "fulfilled":
				return next(state.notAPromise ? handle : this.#owned.own(state.value));
		}
	}

	/** Installs `console` and returns the host's helpers, or undefined if memory ran out. */
	#bootstrap(context: QuickJSContext): Helpers | undefined {
		const install = context.evalCode(BOOTSTRAP_SOURCE, "sandbox-bootstrap.js", {
			type: "global",
			strict: true,
		});
		if (install.error) {
			install.error.dispose();
			return undefined;
		}
		const installFn = this.#owned.own(install.value);
		const write = this.#owned.own(context.newFunction("write", this.#writeFromGuest(context)));
		const report = this.#owned.own(context.newFunction("report", this.#reportFromGuest(context)));
		const installed = context.callFunction(installFn, context.undefined, write, report);
		if (installed.error) {
			installed.error.dispose();
			return undefined;
		}
		const pair = this.#owned.own(installed.value);
		return {
			describe: this.#owned.own(context.getProp(pair, 0)),
			serialize: this.#owned.own(context.getProp(pair, 1)),
		};
	}

	#writeFromGuest(context: QuickJSContext) {
		return (...args: QuickJSHandle[]): void => {
			const [levelHandle, textHandle] = args;
			// Once the budget is spent the text is not even copied out of the sandbox.
			if (this.#output.full || levelHandle === undefined || textHandle === undefined) return;
			if (context.typeof(textHandle) !== "string") return;
			const level = context.getNumber(levelHandle);
			const prefix = level === 2 ? "[error] " : level === 1 ? "[warn] " : "";
			this.#output.append(prefix + context.getString(textHandle));
		};
	}

	#reportFromGuest(context: QuickJSContext) {
		const text = (handle: QuickJSHandle | undefined): string => {
			if (handle === undefined || context.typeof(handle) !== "string") return "";
			return truncateUtf8(context.getString(handle), this.#limits.maxOutputBytes);
		};
		return (...args: QuickJSHandle[]): void => {
			const [name, message, stack, fileName] = args;
			this.#described = {
				name: text(name),
				message: text(message),
				stack: text(stack),
				fileName: text(fileName),
			};
		};
	}

	/** Runs promise jobs in batches, checking the deadline between them; returns a job's error. */
	#drainJobs(): QuickJSHandle | undefined {
		while (this.#runtime.hasPendingJob() && !this.#watchdog.fired) {
			const jobs = this.#runtime.executePendingJobs(JOB_BATCH);
			if (jobs.error) return this.#owned.own(jobs.error);
		}
		return undefined;
	}

	#thrown(context: QuickJSContext, helpers: Helpers, thrown: QuickJSHandle): Outcome {
		if (this.#watchdog.fired) return timeoutOutcome(this.#watchdog);
		this.#addReportingHeadroom();
		this.#described = undefined;
		const described = context.callFunction(helpers.describe, context.undefined, thrown);
		this.#owned.own(described.error ?? described.value);
		if (this.#watchdog.fired) return timeoutOutcome(this.#watchdog);
		if (described.error || this.#described === undefined) {
			// Engine.run reports this as `memory` instead if the heap ran out meanwhile.
			return { ok: false, kind: "runtime", message: "The code threw a value that cannot be read" };
		}
		return classifyThrown(this.#described, this.#watchdog);
	}

	#serialize(context: QuickJSContext, helpers: Helpers, value: QuickJSHandle): Outcome {
		this.#addReportingHeadroom();
		const serialized = context.callFunction(helpers.serialize, context.undefined, value);
		if (serialized.error) return this.#thrown(context, helpers, this.#owned.own(serialized.error));
		const json = this.#owned.own(serialized.value);
		if (this.#watchdog.fired) return timeoutOutcome(this.#watchdog);
		if (context.typeof(json) !== "string") return { ok: true, json: undefined };
		// UTF-8 needs at least one byte per UTF-16 unit: a longer string cannot fit, and is not
		// copied out at all.
		const length = this.#owned.own(context.getProp(json, "length"));
		const units = context.getNumber(length);
		if (units > this.#limits.maxOutputBytes) return outputOutcome(units, this.#limits);
		return { ok: true, json: context.getString(json) };
	}

	#addReportingHeadroom(): void {
		this.#runtime.setMemoryLimit(this.#limits.memoryLimitBytes + REPORTING_HEADROOM_BYTES);
	}
}

/** Guest functions from the bootstrap: error description and result serialization. */
interface Helpers {
	readonly describe: QuickJSHandle;
	readonly serialize: QuickJSHandle;
}

/** What the bootstrap's `describe` reads from a thrown value (each string cut to the output limit). */
interface ThrownDescription {
	readonly name: string;
	readonly message: string;
	readonly stack: string;
	/** Set by QuickJS on parse errors: the source that failed to parse. */
	readonly fileName: string;
}

function classifyThrown(thrown: ThrownDescription, watchdog: Watchdog): Outcome {
	const { name, message, stack, fileName } = thrown;
	const headline = name === "" ? message : `${name}: ${message}`;
	if (name === "InternalError" && message === "out of memory") {
		return { ok: false, kind: "memory", message: headline };
	}
	if (message === "stack overflow" || message === "Maximum call stack size exceeded") {
		return { ok: false, kind: "memory", message: headline };
	}
	if (name === "InternalError" && message === "interrupted") {
		// Only the host interrupts; without a deadline behind it, the host's own interrupt
		// callback failed, which happens when the native stack runs out.
		if (watchdog.fired) return timeoutOutcome(watchdog);
		return { ok: false, kind: "memory", message: "InternalError: stack overflow (host)" };
	}
	// QuickJS names the source on parse errors; JSON.parse, eval and Function name "<input>",
	// so their SyntaxErrors are the code's runtime errors.
	if (name === "SyntaxError" && fileName === SOURCE_NAME) {
		const location = /at (\S+:\d+:\d+)/.exec(stack)?.[1];
		return {
			ok: false,
			kind: "syntax",
			message: location === undefined ? headline : `${headline} (${location})`,
		};
	}
	const trace = stack.trimEnd();
	return { ok: false, kind: "runtime", message: trace === "" ? headline : `${headline}\n${trace}` };
}
