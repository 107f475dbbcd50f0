// A model answer past its output limit was retried like a transient failure:
// a model that sends without end did it again on each of the default two
// retries, and such calls report no usage, so each prompt cost three unbilled
// calls (an attacker probe, 2026-11-28). It now fails the turn at once; a
// failure that may pass (an HTTP error) is still retried.
import { describe, expect, it } from "vitest";
import { agentActor, ModelError } from "../../src/agent/index.js";
import { annTalksTo, scripted } from "./scripted-model.js";

const users = {
	createConnState: (_c: unknown, params: { user: string }) => ({ user: String(params.user) }),
	identify: (conn: { state: { user: string } }) => ({ id: conn.state.user }),
};

describe("a model call that fails", () => {
	it("is not retried when its answer ran past the output limit", async () => {
		const model = scripted(
			() => new ModelError("model_output_too_large", "The answer ran past 1048576 bytes"),
		);
		await using talk = await annTalksTo(agentActor({ ...users, model }));
		const ended = await talk.turns.ended((await talk.conn.prompt("write forever")).turnId);
		expect(ended).toMatchObject({
			status: "failed",
			error: { group: "agent", code: "model_output_too_large" },
		});
		expect(model.calls).toBe(1);
	});

	it("is retried when it may pass (an HTTP error), modelRetries times", async () => {
		const model = scripted(() => new ModelError("model_http_error", "HTTP 503", { status: 503 }));
		await using talk = await annTalksTo(agentActor({ ...users, model, modelRetries: 1 }));
		const turn = await talk.conn.prompt("hello");
		// The retry waits on the test clock.
		const ending = talk.turns.ended(turn.turnId);
		await expect.poll(() => model.calls).toBe(1);
		for (let i = 0; i < 5; i++) await talk.t.clock.advance(1_000);
		const ended = await ending;
		expect(ended).toMatchObject({
			status: "failed",
			error: { group: "agent", code: "model_http_error" },
		});
		expect(model.calls).toBe(2);
	});
});
