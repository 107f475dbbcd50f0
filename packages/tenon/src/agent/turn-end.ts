import { cutText } from "../common/text-cut.js";
import type { AgentSettings } from "./config.js";
import type { AgentWorkflow } from "./declarations.js";
import type { AgentTurnUpdate } from "./types.js";

/**
 * Tells the app's `onTurnEnd` how a turn ended (with the tokens it used), as a step of its
 * own after the turn's end: it runs once per turn whatever restarts come (retried as a step
 * is), its writes commit with it, and a hook that keeps failing is logged, never the turn's
 * failure (the answer the user read stands).
 */
export async function reportTurnEnd(
	w: AgentWorkflow,
	s: AgentSettings,
	requester: string,
	turn: AgentTurnUpdate,
): Promise<void> {
	const hook = s.onTurnEnd;
	if (hook === undefined) return;
	const ran = await w.tryStep({ name: "on-turn-end", run: (c) => hook(c, { ...turn, requester }) });
	if (ran.ok) return;
	const error = cutText(s.redactor.redact(ran.failure.error.message), 2_000);
	await w.step("on-turn-end-failed", (c) =>
		c.log.warn("agent onTurnEnd failed", { turnId: turn.turnId, error }),
	);
}
