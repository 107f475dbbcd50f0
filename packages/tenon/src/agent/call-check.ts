import { cutText } from "../common/text-cut.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { findNotPlain } from "../protocol/plain-data.js";
import type { Redactor } from "./redact.js";
import { holdsSecret, MAX_LOOKED_AT } from "./redact-values.js";
import { type AgentTool, type CheckedCall, checkToolCall } from "./tools.js";

/**
 * What checking a model's tool call found: the input the tool will run
 * with, or why it will not run (redacted: it quotes the model's names and
 * keys). Journaled with the answer that asked for the call, so it must hold
 * nothing secret (see {@link checkModelCall}).
 */
export type CallCheck = { ok: true; input: unknown; high: boolean } | { ok: false; reason: string };

/**
 * Checks a tool call as the model wrote it ({@link checkToolCall}), then
 * refuses it when its checked input holds a secret or cannot be stored.
 * The input it returns is the checked input as the journal gives it back
 * ({@link asStored}), so the first run and a run after a restart get the
 * same value.
 *
 * Why a secret refuses the call: the checked input is what the tool runs
 * with, and it is journaled (the workflow journal is readable with an
 * inspector token), so that a turn resuming after a crash runs the tool with
 * exactly what was checked and approved. Redacting it there would hand the
 * tool `[redacted]` on a replay (and a person would approve a value they
 * cannot see); keeping it would persist the secret. The model never reads a
 * secret (everything it reads is redacted), so a call carrying one is a leak
 * or an attempt to send it somewhere: it is not run, and the model is told
 * why. Tools get credentials from the server, never from the model.
 */
export async function checkModelCall(
	tools: readonly AgentTool<unknown>[],
	redactor: Redactor,
	name: string,
	rawArguments: string,
): Promise<CallCheck> {
	let checked: CheckedCall;
	try {
		checked = await checkToolCall(tools, name, rawArguments, redactor);
	} catch (error) {
		// A schema that throws (a transform's bug) refuses the call instead of failing the answer.
		const message = error instanceof Error ? error.message : String(error);
		return {
			ok: false,
			reason: cutText(redactor.redact(`the tool's schema threw: ${message}`), 2_000),
		};
	}
	if (!checked.ok) return { ok: false, reason: redactor.redact(checked.error) };
	const notPlain = findNotPlain(checked.input, "input");
	if (notPlain !== undefined)
		return {
			ok: false,
			reason: redactor.redact(
				`the checked input cannot be stored: ${notPlain.path} is ${notPlain.what}`,
			),
		};
	// Before it is encoded: a value sharing its parts is written out in full.
	if (!withinSize(checked.input, MAX_LOOKED_AT))
		return {
			ok: false,
			reason: `the checked input cannot be stored: it holds more than ${MAX_LOOKED_AT} values`,
		};
	let input: unknown;
	try {
		input = asStored(checked.input);
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		return {
			ok: false,
			reason: cutText(redactor.redact(`the checked input cannot be stored: ${message}`), 2_000),
		};
	}
	if (holdsSecret(input, redactor))
		return { ok: false, reason: "the arguments hold a secret; no tool gets one from the model" };
	return { ok: true, input, high: checked.tool.risk === "high" };
}

/**
 * `value` as the workflow journal gives it back after a restart: encoded
 * for storage and decoded. A tool runs with this (on its first run and on
 * every replay), so that a resumed turn runs it with exactly what was
 * checked and shown for approval: before 2026-11-25 a Buffer came back as a
 * Uint8Array, an ArrayBuffer as a Uint8Array, -0 as 0, a null-prototype
 * object as a plain one, a shared object as two copies and an array's hole
 * as undefined, only after a restart. Decoded from a plain Uint8Array, as
 * every store hands bytes back (decoded from a Buffer, byte strings would
 * come back as Buffers). Storing it again changes nothing.
 */
export function asStored(value: unknown): unknown {
	return cborDecode(new Uint8Array(cborEncode(value)));
}

/**
 * True if `value`, written out in full (a part it holds twice counted
 * twice), has at most `limit` values (objects and primitives). Stops
 * counting past the limit, so a small value sharing its parts (2^26 leaves
 * in 27 arrays) costs no more than the limit.
 */
function withinSize(value: unknown, limit: number): boolean {
	let left = limit;
	const stack: unknown[] = [value];
	while (stack.length > 0) {
		if (--left < 0) return false;
		const item = stack.pop();
		if (typeof item !== "object" || item === null) continue;
		if (item instanceof Date || item instanceof ArrayBuffer || ArrayBuffer.isView(item)) continue;
		if (Array.isArray(item) || item instanceof Set) for (const part of item) stack.push(part);
		else if (item instanceof Map) for (const [key, part] of item) stack.push(key, part);
		else for (const key of Object.keys(item)) stack.push((item as Record<string, unknown>)[key]);
	}
	return true;
}
