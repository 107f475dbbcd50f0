import type { AnyActorDefinition } from "../actor/definition.js";
import { describeIssues } from "../actor/schema.js";
import type { Clock } from "../common/clock.js";
import { callAsync, withTimeout } from "../common/timeouts.js";
import { errors } from "../protocol/errors.js";
import type { ConnectContextImpl } from "./context-impl.js";

/**
 * What a new connection starts with: its params checked by `connParamsSchema`,
 * `onBeforeConnect` passed, and its state from `createConnState` (or a copy of
 * `connState`). Each hook is bounded by `timeoutMs`. With `createState: false`
 * (a returning connection keeps its state) only the checks run.
 */
export async function runConnectHooks(
	config: AnyActorDefinition["config"],
	context: ConnectContextImpl,
	clock: Clock,
	timeoutMs: number,
	params: unknown,
	options: { createState?: boolean } = {},
): Promise<{ params: unknown; state: unknown }> {
	let checked = params;
	if (config.connParamsSchema) {
		const result = await config.connParamsSchema["~standard"].validate(params);
		if (result.issues) throw errors.connParamsRejected(describeIssues(result.issues));
		checked = result.value;
	}
	if (config.onBeforeConnect) {
		const hook = config.onBeforeConnect;
		await withTimeout(
			callAsync(() => hook(context, checked)),
			clock,
			timeoutMs,
			() => errors.hookTimedOut("onBeforeConnect", timeoutMs),
		);
	}
	let state: unknown;
	if (options.createState === false) return { params: checked, state };
	if (config.createConnState) {
		const create = config.createConnState;
		state = await withTimeout(
			callAsync(() => create(context, checked)),
			clock,
			timeoutMs,
			() => errors.hookTimedOut("createConnState", timeoutMs),
		);
	} else if (config.connState !== undefined) {
		state = structuredClone(config.connState);
	}
	return { params: checked, state };
}
