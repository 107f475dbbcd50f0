import type { TurnOrigin } from "./types.js";
import { visibleName } from "./visible-key.js";

type InspectorOrigin = Extract<TurnOrigin, { kind: "inspector" }>;

/**
 * One line saying what ran a recorded turn. Names from stored records (a step
 * name may be built from a client's data, `who` from a token's holder) are
 * shown as {@link visibleName}s: hidden and look-alike characters escaped.
 */
export function describeOrigin(origin: TurnOrigin): string {
	switch (origin.kind) {
		case "action":
			return `action ${visibleName(origin.name)} (conn ${origin.connId.slice(0, 8)})`;
		case "timer":
			return `${origin.timer} timer → ${visibleName(origin.name)}`;
		case "queue":
			return "queue message";
		case "workflow":
			return origin.step === undefined
				? "workflow step"
				: `workflow step ${visibleName(origin.step)}`;
		case "inspector":
			return describeInspectorTurn(origin);
		case "background":
			return "background (run loop, timer callback, wake)";
	}
}

function describeInspectorTurn(origin: InspectorOrigin): string {
	switch (origin.operation) {
		case "edit":
			return `state edit by ${visibleName(origin.who)}`;
		case "restore":
			return `restore of turn ${origin.fromSeq} by ${visibleName(origin.who)}`;
		case "replay": {
			const state = origin.fromSeq === undefined ? "" : ` with turn ${origin.fromSeq}'s state`;
			return `workflow replay from ${origin.step === undefined ? "a step" : visibleName(origin.step)}${state} by ${visibleName(origin.who)}`;
		}
	}
}
