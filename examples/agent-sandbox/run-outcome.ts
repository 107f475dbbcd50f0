// How a run ended, and its conversion into a SandboxResult: the output budget, and the
// result's JSON parsed on the host side of the engine (inside a worker).

import { type OutputCollector, truncateUtf8 } from "./output-collector.js";
import type { SandboxErrorKind, SandboxLimits, SandboxResult } from "./sandbox.js";
import type { Watchdog } from "./watchdog.js";

/**
 * Deepest result accepted, as Tenon's plain data: the host's JSON.stringify and most tree
 * walks recurse, so a 10 KB `[[[[…]]]]` could overflow the caller's stack later.
 */
const MAX_RESULT_DEPTH = 512;

/** How a run ended, before output limits apply. `json` is the result's JSON text. */
export type Outcome =
	| { ok: true; json: string | undefined }
	| { ok: false; kind: SandboxErrorKind; message: string };

/**
 * A run that exhausted its heap often fails with a symptom instead of "out of memory": `null`
 * thrown because no error object could be allocated, or an error of the code's own catch block.
 */
export function blameMemory(outcome: Outcome): Outcome {
	if (outcome.ok || outcome.kind !== "runtime") return outcome;
	return { ok: false, kind: "memory", message: `Out of memory (then: ${outcome.message})` };
}

/** The outcome of a run that hit its deadline. */
export function timeoutOutcome(watchdog: Watchdog): Outcome {
	return {
		ok: false,
		kind: "timeout",
		message: `The code ran past its time limit of ${watchdog.timeLimitMs} ms`,
	};
}

/** The outcome of a run whose result's JSON is `bytes` long, over the output limit. */
export function outputOutcome(bytes: number, limits: Required<SandboxLimits>): Outcome {
	return {
		ok: false,
		kind: "output",
		message: `The result's JSON is at least ${bytes} bytes, over the ${limits.maxOutputBytes}-byte output limit`,
	};
}

/** Applies the output budget to the result and turns the outcome into a {@link SandboxResult}. */
export function finish(
	outcome: Outcome,
	output: OutputCollector,
	limits: Required<SandboxLimits>,
): SandboxResult {
	if (!outcome.ok) {
		const message = truncateUtf8(outcome.message, limits.maxOutputBytes);
		return { ok: false, error: { kind: outcome.kind, message }, logs: output.lines() };
	}
	if (outcome.json === undefined) return { ok: true, result: undefined, logs: output.lines() };
	const bytes = Buffer.byteLength(outcome.json, "utf8");
	if (bytes > limits.maxOutputBytes) {
		const failed = outputOutcome(bytes, limits);
		return finish(failed, output, limits);
	}
	// The result has priority: console output is cut until both fit.
	output.shrinkTo(limits.maxOutputBytes - bytes);
	const parsed = parseGuestJson(outcome.json);
	if (parsed === undefined) {
		const message = `The result nests deeper than ${MAX_RESULT_DEPTH} levels`;
		return finish({ ok: false, kind: "output", message }, output, limits);
	}
	return { ok: true, result: parsed.value, logs: output.lines() };
}

/**
 * Parses the guest's JSON and drops every `__proto__` key, so no later merge of the result
 * can reach a prototype. Returns undefined if the value nests deeper than
 * {@link MAX_RESULT_DEPTH}. Not a JSON.parse reviver: V8 walks a reviver recursively, and a
 * 5000-deep array (10 KB of JSON) overflowed Node's stack; JSON.parse alone is iterative.
 */
function parseGuestJson(json: string): { value: unknown } | undefined {
	const value: unknown = JSON.parse(json); // Valid: QuickJS's own JSON.stringify wrote it.
	const pending: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 0 }];
	for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
		const { item, depth } = next;
		if (item === null || typeof item !== "object") continue;
		if (depth >= MAX_RESULT_DEPTH) return undefined;
		Reflect.deleteProperty(item, "__proto__");
		for (const child of Object.values(item)) pending.push({ item: child, depth: depth + 1 });
	}
	return { value };
}
