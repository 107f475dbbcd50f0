// The QuickJS WebAssembly engine of a sandbox worker: its WebAssembly.Memory cap, the hard
// stop through quickjs-emscripten's interrupt callback, and its retirement (inside a worker).

import {
	type EmscriptenModuleLoaderOptions,
	newQuickJSWASMModuleFromVariant,
	newVariant,
	type QuickJSRuntime,
	type QuickJSWASMModule,
	RELEASE_SYNC,
} from "quickjs-emscripten";
import { GuestRun, REPORTING_HEADROOM_BYTES } from "./guest-run.js";
import { OutputCollector } from "./output-collector.js";
import { blameMemory, finish, type Outcome, timeoutOutcome } from "./run-outcome.js";
import type { SandboxLimits, SandboxResult } from "./sandbox.js";
import { Watchdog } from "./watchdog.js";
import type { WorkerStats } from "./worker-messages.js";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Linear memory of a fresh engine (the WASM module's minimum: 256 pages). */
const WASM_INITIAL_BYTES = 16 * MIB;
/** The module's maximum (32768 pages); the cap below it is the sandbox's to enforce. */
const WASM_MAXIMUM_BYTES = 2048 * MIB;
const WASM_PAGE_BYTES = 64 * KIB;
/** Linear memory that is not guest heap: the 5 MB C stack, static data, the host's bookkeeping. */
const WASM_RESERVED_BYTES = 6 * MIB;

/** What this worker reports about its engines with every result. */
export function workerStats(): WorkerStats {
	return {
		enginesCreated: workerEngines.created,
		wasmMemoryBytes: workerEngines.current?.wasmMemoryBytes ?? 0,
		lastRetirement: workerEngines.lastRetirement,
	};
}

/** Runs `code` on this worker's engine, replacing the engine as often as a run needs. */
export async function runOnEngine(
	code: string,
	limits: Required<SandboxLimits>,
): Promise<SandboxResult> {
	const heapCapBytes = wasmHeapCapBytes(limits);
	for (;;) {
		const engine = await acquireEngine();
		// Undefined when the engine's memory grew past this run's cap (for a run with a larger
		// limit): it is retired and the next engine will do.
		const result = engine.run(code, limits, heapCapBytes);
		if (result !== undefined) return result;
	}
}

const workerEngines = {
	created: 0,
	current: undefined as Engine | undefined,
	loading: undefined as Promise<Engine> | undefined,
	lastRetirement: undefined as string | undefined,
};

/** The current engine, created on first use and again after a run retired it. */
export async function acquireEngine(): Promise<Engine> {
	const current = workerEngines.current;
	if (current !== undefined && !current.retired) return current;
	workerEngines.loading ??= Engine.create()
		.then((created) => {
			workerEngines.current = created;
			return created;
		})
		.finally(() => {
			workerEngines.loading = undefined;
		});
	return workerEngines.loading;
}

/**
 * The most WASM linear memory a run may leave the engine with. QuickJS's own memory limit
 * cannot be the real cap here: in its WASM build `malloc_usable_size` is 0, so every
 * allocation counts as 8 bytes and a 16 MiB limit let `keep.push("x".repeat(1000))` grow the
 * engine past 600 MB (quickjs-emscripten issues #255, #271). The engine refuses to grow its
 * memory beyond this cap instead, which QuickJS sees as malloc failing: a catchable
 * "out of memory".
 */
function wasmHeapCapBytes(limits: Required<SandboxLimits>): number {
	const wanted = WASM_RESERVED_BYTES + limits.memoryLimitBytes + REPORTING_HEADROOM_BYTES;
	return Math.ceil(Math.max(WASM_INITIAL_BYTES, wanted) / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
}

/** Thrown through the WASM frames to abandon a run that keeps going after its deadline. */
class HardStop extends Error {
	constructor() {
		super("The sandbox kept running after its deadline and was stopped");
		this.name = "HardStop";
	}
}

/**
 * The engine's WASM memory, growable only up to the cap of the run in progress (see
 * {@link wasmHeapCapBytes}). Emscripten grows memory through `memory.grow` inside a try/catch
 * and reports failure to malloc, so refusing is throwing what a failed grow throws.
 */
class MemoryGate {
	readonly memory = new WebAssembly.Memory({
		initial: WASM_INITIAL_BYTES / WASM_PAGE_BYTES,
		maximum: WASM_MAXIMUM_BYTES / WASM_PAGE_BYTES,
	});
	#capBytes = WASM_INITIAL_BYTES;
	#refused = false;

	constructor() {
		const grow = this.memory.grow.bind(this.memory);
		this.memory.grow = (deltaPages: number): number => {
			const bytes = this.memory.buffer.byteLength + deltaPages * WASM_PAGE_BYTES;
			if (bytes > this.#capBytes) {
				this.#refused = true;
				throw new RangeError("WebAssembly.Memory.grow(): refused by the sandbox's memory cap");
			}
			return grow(deltaPages);
		};
	}

	open(capBytes: number): void {
		this.#capBytes = capBytes;
		this.#refused = false;
	}

	/** Whether growth was refused since {@link open}: the run's heap ran out. */
	get refused(): boolean {
		return this.#refused;
	}

	/** Freezes the memory at its size; returns whether growth was refused during the run. */
	close(): boolean {
		this.#capBytes = this.memory.buffer.byteLength;
		return this.#refused;
	}
}

/** The internal callback table quickjs-emscripten hands to its WASM imports. */
interface EmscriptenCallbackTable {
	shouldInterrupt(asyncify: unknown, runtimePointer: number): number;
}

/**
 * One WASM instance of QuickJS, shared by sequential runs (each in its own runtime). A run
 * that ends by an exception unwinding through WASM frames (hard stop, native stack overflow,
 * WASM trap, failed teardown) leaves the instance inconsistent, so the engine is retired and
 * dropped whole; the next run gets a new one.
 */
class Engine {
	readonly #quickjs: QuickJSWASMModule;
	readonly #memoryGate: MemoryGate;
	#watchdog: Watchdog | undefined;
	#retired = false;
	/** Messages emscripten would print to stderr (its aborts), kept for the retirement reason. */
	readonly #emscriptenErrors: string[];

	private constructor(quickjs: QuickJSWASMModule, memoryGate: MemoryGate, errors: string[]) {
		this.#quickjs = quickjs;
		this.#memoryGate = memoryGate;
		this.#emscriptenErrors = errors;
		this.#installHardStop();
	}

	static async create(): Promise<Engine> {
		const emscriptenErrors: string[] = [];
		// printErr is an emscripten Module option that quickjs-emscripten's type leaves out.
		const emscriptenModule: EmscriptenModuleLoaderOptions & { printErr(text: string): void } = {
			printErr: (text) => {
				emscriptenErrors.push(text);
				if (emscriptenErrors.length > 8) emscriptenErrors.shift();
			},
		};
		const memoryGate = new MemoryGate();
		const quickjs = await newQuickJSWASMModuleFromVariant(
			newVariant(RELEASE_SYNC, { emscriptenModule, wasmMemory: memoryGate.memory }),
		);
		workerEngines.created++;
		return new Engine(quickjs, memoryGate, emscriptenErrors);
	}

	get retired(): boolean {
		return this.#retired;
	}

	get wasmMemoryBytes(): number {
		return this.#quickjs.getWasmMemory().buffer.byteLength;
	}

	/**
	 * Runs `code` to completion on this engine, synchronously so that runs never interleave.
	 * Returns undefined, without running anything, if the engine is retired or its memory
	 * already exceeds `heapCapBytes` (it grew for a run with a larger limit).
	 */
	run(
		code: string,
		limits: Required<SandboxLimits>,
		heapCapBytes: number,
	): SandboxResult | undefined {
		if (this.#retired) return undefined;
		if (this.wasmMemoryBytes > heapCapBytes) {
			this.#retire("its memory had grown past the cap of a run with a smaller memory limit");
			return undefined;
		}
		const watchdog = new Watchdog(limits.timeLimitMs);
		const output = new OutputCollector(limits.maxOutputBytes);
		this.#watchdog = watchdog;
		this.#memoryGate.open(heapCapBytes);
		try {
			const outcome = this.#runGuarded(code, limits, watchdog, output);
			return finish(this.#memoryGate.refused ? blameMemory(outcome) : outcome, output, limits);
		} finally {
			this.#watchdog = undefined;
			// Growth refused means QuickJS (and quickjs-emscripten's own C helpers) saw malloc
			// fail; the helpers do not all check for that, so the engine is not trusted again.
			if (this.#memoryGate.close()) this.#retire("a run exhausted its WASM memory cap");
		}
	}

	#runGuarded(
		code: string,
		limits: Required<SandboxLimits>,
		watchdog: Watchdog,
		output: OutputCollector,
	): Outcome {
		let outcome: Outcome;
		let runtime: QuickJSRuntime;
		try {
			runtime = this.#quickjs.newRuntime();
			outcome = new GuestRun(runtime, limits, watchdog, output).execute(code);
		} catch (error) {
			// Nothing is disposed: the WASM state is inconsistent and the engine is dropped.
			return this.#outcomeOfHostFailure(error, watchdog);
		}
		try {
			runtime.dispose();
		} catch (error) {
			// QuickJS asserts on teardown when an out-of-memory path leaked an object; the
			// result is already known, only this engine is lost.
			this.#retire(`teardown failed: ${errorText(error)}`);
		}
		return outcome;
	}

	#outcomeOfHostFailure(error: unknown, watchdog: Watchdog): Outcome {
		this.#retire(errorText(error));
		if (error instanceof HardStop) return timeoutOutcome(watchdog);
		if (error instanceof RangeError && /call stack/i.test(error.message)) {
			return {
				ok: false,
				kind: "memory",
				message:
					"InternalError: stack overflow (the host's native stack ran out before the sandbox's stack limit)",
			};
		}
		if (error instanceof WebAssembly.RuntimeError) {
			if (watchdog.fired) return timeoutOutcome(watchdog);
			return {
				ok: false,
				kind: "runtime",
				message: `The sandbox engine crashed: ${error.message}`,
			};
		}
		throw error;
	}

	#retire(reason: string): void {
		if (this.#retired) return;
		this.#retired = true;
		const detail = this.#emscriptenErrors.at(-1);
		workerEngines.lastRetirement = detail === undefined ? reason : `${reason} (${detail})`;
	}

	/**
	 * QuickJS delivers an interrupt as an uncatchable error, but an async function or a promise
	 * executor turns it into a rejection and the caller carries on; a loop that calls them is
	 * never stopped. No public API can abandon a run, so this wraps quickjs-emscripten's internal
	 * interrupt callback to throw through the WASM frames once the watchdog asks for a hard stop.
	 */
	#installHardStop(): void {
		const internals = this.#quickjs as unknown as {
			module?: { callbacks?: Partial<EmscriptenCallbackTable> };
		};
		const callbacks = internals.module?.callbacks;
		const original = callbacks?.shouldInterrupt;
		if (callbacks === undefined || typeof original !== "function") {
			throw new Error(
				"agent-sandbox: quickjs-emscripten no longer exposes module.callbacks.shouldInterrupt, which the sandbox's hard stop needs; check the installed version (written for 0.32)",
			);
		}
		callbacks.shouldInterrupt = (asyncify, runtimePointer) => {
			const verdict = original.call(callbacks, asyncify, runtimePointer);
			if (this.#watchdog?.hardStopRequested) throw new HardStop();
			return verdict;
		};
	}
}

/** An error of the host's own code as one line of text. */
export function errorText(error: unknown): string {
	return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
