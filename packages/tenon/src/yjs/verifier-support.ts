import { ActorError } from "../protocol/errors.js";

// The verifier's refusals and its view of the platform (apply-verifier.ts).

/**
 * Node's modules, got when used (`process.getBuiltinModule`, Node 20.16 on):
 * `tenon/yjs` also holds the browser's provider, and a static import would
 * make bundlers for the browser warn about it, or fail.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
	const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
		.process;
	return process?.getBuiltinModule?.(id) as T | undefined;
}

/** The worker time a refused check took, ms (see {@link workerTimeOf}). */
const workerTimes = new WeakMap<object, number>();

export function spent(error: ActorError, ms: number): ActorError {
	workerTimes.set(error, ms);
	return error;
}

/** The worker time a check refused with `error` took, ms; 0 when it did not run there. */
export function workerTimeOf(error: unknown): number {
	return typeof error === "object" && error !== null ? (workerTimes.get(error) ?? 0) : 0;
}

export function busy(): ActorError {
	return new ActorError(
		"limit",
		"yjs_busy",
		"Too many document updates wait to be checked; try again in a second",
		{ retryAfterMs: 1_000 },
	);
}

export function tooSlow(limitMs: number): ActorError {
	return new ActorError(
		"limit",
		"yjs_update_too_complex",
		`This update took over ${limitMs} ms to apply to a copy of this document (at most ${limitMs}); send smaller updates`,
		{ limitMs },
	);
}

/** A worker lost or not made (out of memory on a copy, not allowed): that update is refused like a slow one. */
export function unchecked(error: unknown): ActorError {
	if (error instanceof ActorError) return error;
	return new ActorError(
		"limit",
		"yjs_update_too_complex",
		`This update could not be checked on a copy of this document (${String((error as Error)?.message ?? error)})`,
	);
}

/** Where Yjs's CommonJS build is, seen from here; undefined when it cannot be found. */
export function resolveYjs(): string | undefined {
	const modules = nodeBuiltin<typeof import("node:module")>("node:module");
	if (modules === undefined || nodeBuiltin("node:worker_threads") === undefined) return undefined;
	try {
		return modules.createRequire(import.meta.url).resolve("yjs");
	} catch {
		return undefined;
	}
}
