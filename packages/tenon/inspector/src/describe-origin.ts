import type { TurnOrigin } from "./types.js";

type InspectorOrigin = Extract<TurnOrigin, { kind: "inspector" }>;

/** One line saying what ran a recorded turn. */
export function describeOrigin(origin: TurnOrigin): string {
	switch (origin.kind) {
		case "action":
			return `action ${origin.name} (conn ${origin.connId.slice(0, 8)})`;
		case "timer":
			return `${origin.timer} timer → ${origin.name}`;
		case "queue":
			return "queue message";
		case "workflow":
			return origin.step === undefined ? "workflow step" : `workflow step ${origin.step}`;
		case "inspector":
			return describeInspectorTurn(origin);
		case "background":
			return "background (run loop, timer callback, wake)";
	}
}

function describeInspectorTurn(origin: InspectorOrigin): string {
	switch (origin.operation) {
		case "edit":
			return `state edit by ${origin.who}`;
		case "restore":
			return `restore of turn ${origin.fromSeq} by ${origin.who}`;
		case "replay": {
			const state = origin.fromSeq === undefined ? "" : ` with turn ${origin.fromSeq}'s state`;
			return `workflow replay from ${origin.step ?? "a step"}${state} by ${origin.who}`;
		}
	}
}
