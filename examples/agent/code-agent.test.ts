// Regression (an attacker probe, 2026-11-27): the code agent's tool let one user keep the
// sandbox's two workers busy for every user, and ignored the turn's stop. Now each user runs
// one program at a time, and a stopped turn ends its run.
import type { ToolContext } from "tenon/agent";
import { afterAll, describe, expect, it } from "vitest";
import { shutdownSandbox } from "../agent-sandbox/sandbox.js";
import { runJavascript } from "./code-agent.js";

const contextOf = (userId: string, signal = new AbortController().signal): ToolContext => ({
	actorId: `actor-of-${userId}`,
	conversation: [userId, "c1"],
	requester: { id: userId },
	signal,
	client: () => {
		throw new Error("not used");
	},
});

afterAll(async () => {
	await shutdownSandbox();
});

describe("the code agent's run_javascript tool", () => {
	it("runs one program per user at a time, and a stop ends it", async () => {
		const stop = new AbortController();
		const endless = runJavascript.execute(
			{ code: "for (;;) {}" },
			contextOf("mallory", stop.signal),
		);
		// Her second run, from another conversation, is refused while the first runs.
		expect(await runJavascript.execute({ code: "1" }, contextOf("mallory"))).toMatchObject({
			error: expect.stringMatching(/^busy: /),
		});
		// Another user's run goes on meanwhile.
		const ann = runJavascript.execute({ code: "6 * 7" }, contextOf("ann"));
		// Stopped at once: well within the loop's 1 s limit (a gate on a loaded machine took
		// over a second to start Ann's worker first, and the loop had ended by its limit).
		const reason = new Error("stopped");
		stop.abort(reason);
		await expect(Promise.resolve(endless)).rejects.toBe(reason);
		expect(await ann).toEqual({ result: 42, logs: [] });
		// Her next run, once the first ended, runs.
		expect(await runJavascript.execute({ code: "'again'" }, contextOf("mallory"))).toEqual({
			result: "again",
			logs: [],
		});
	}, 30_000);
});
