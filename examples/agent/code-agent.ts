import { type AgentTool, agentActor, defineTool } from "tenon/agent";
import { z } from "zod";
import { runInSandbox } from "../agent-sandbox/sandbox.js";
import { demoModel } from "./demo-model.js";
import { ownConversation } from "./own-conversation.js";

/**
 * Runs of one user in the sandbox at once, over all their conversations: the
 * sandbox has two workers for the whole server, and one user's prompts kept
 * both busy with endless loops while every other user's runs waited (an
 * attacker probe, 2026-11-27).
 */
const MAX_RUNS_PER_USER = 1;
const runsByUser = new Map<string, number>();

/**
 * Runs JavaScript the model wrote in a QuickJS WebAssembly sandbox: no
 * network, no files, no process, no host objects; at most a second and
 * 16 MiB per run, one run per user at a time, and the run ends when the
 * turn is stopped (the tool's `signal`). Errors (a limit hit, a syntax
 * error, a busy sandbox) come back to the model as results, never as a
 * failure of the agent.
 */
export const runJavascript: AgentTool<{ code: string }> = defineTool({
	name: "run_javascript",
	description:
		"Runs JavaScript in an isolated sandbox (no network, files or Node APIs; 1 s and 16 MiB at most) " +
		"and returns the value of its last expression and its console output.",
	input: z.object({ code: z.string().min(1).max(20_000) }).strict(),
	timeoutMs: 5_000,
	execute: async ({ code }, { requester, signal }) => {
		const running = runsByUser.get(requester.id) ?? 0;
		if (running >= MAX_RUNS_PER_USER)
			return { error: "busy: another of your runs is still in progress; try again after it" };
		runsByUser.set(requester.id, running + 1);
		try {
			const run = await runInSandbox(
				code,
				{ timeLimitMs: 1_000, memoryLimitBytes: 16 * 1024 * 1024 },
				{ signal },
			);
			return run.ok
				? { result: run.result ?? null, logs: run.logs }
				: { error: `${run.error.kind}: ${run.error.message}`, logs: run.logs };
		} finally {
			const left = (runsByUser.get(requester.id) ?? 1) - 1;
			if (left <= 0) runsByUser.delete(requester.id);
			else runsByUser.set(requester.id, left);
		}
	},
});

/**
 * An agent that answers by running code in a sandbox, one actor per
 * conversation keyed `[userId, conversationId]` (only that user may open it).
 */
export const codeAgent = agentActor({
	model: demoModel(),
	system:
		"You solve problems by writing JavaScript and running it with run_javascript. " +
		"Show the result and explain it briefly.",
	tools: [runJavascript],
	// A prompt runs the sandbox at most 4 × 4 times (the defaults, 8 rounds of 128 calls,
	// let one prompt queue a thousand runs).
	maxToolRounds: 4,
	maxToolCalls: 4,
	...ownConversation,
});
