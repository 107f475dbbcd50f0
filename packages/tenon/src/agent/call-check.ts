import { findNotPlain } from "../protocol/plain-data.js";
import type { Redactor } from "./redact.js";
import { holdsSecret } from "./redact-values.js";
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
		checked = await checkToolCall(tools, name, rawArguments);
	} catch (error) {
		// A schema that throws (a transform's bug) refuses the call instead of failing the answer.
		const message = error instanceof Error ? error.message : String(error);
		return {
			ok: false,
			reason: redactor.redact(`the tool's schema threw: ${message}`).slice(0, 2_000),
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
	if (holdsSecret(checked.input, redactor))
		return { ok: false, reason: "the arguments hold a secret; no tool gets one from the model" };
	return { ok: true, input: checked.input, high: checked.tool.risk === "high" };
}
