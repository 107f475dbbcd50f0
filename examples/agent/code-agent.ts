import { type AgentTool, agentActor, defineTool } from "tenon/agent";
import { z } from "zod";
import { runInSandbox } from "../agent-sandbox/sandbox.js";
import { demoModel } from "./demo-model.js";
import { ownConversation } from "./own-conversation.js";

/**
 * Runs JavaScript the model wrote in a QuickJS WebAssembly sandbox: no
 * network, no files, no process, no host objects; at most a second and
 * 16 MiB per run. Errors (a limit hit, a syntax error) come back to the model
 * as results, never as a failure of the agent.
 */
const runJavascript: AgentTool<{ code: string }> = defineTool({
	name: "run_javascript",
	description:
		"Runs JavaScript in an isolated sandbox (no network, files or Node APIs; 1 s and 16 MiB at most) " +
		"and returns the value of its last expression and its console output.",
	input: z.object({ code: z.string().min(1).max(20_000) }).strict(),
	timeoutMs: 5_000,
	execute: async ({ code }) => {
		const run = await runInSandbox(code, {
			timeLimitMs: 1_000,
			memoryLimitBytes: 16 * 1024 * 1024,
		});
		return run.ok
			? { result: run.result ?? null, logs: run.logs }
			: { error: `${run.error.kind}: ${run.error.message}`, logs: run.logs };
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
	...ownConversation,
});
