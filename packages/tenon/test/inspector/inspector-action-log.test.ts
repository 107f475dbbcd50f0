// An action the inspector's console runs that throws is logged under the request's id, which
// the answer's `x-request-id` carries and the app shows: its log line had no id, and the app
// said only "An internal error occurred" (an inspector walkthrough, 2026-11-29).
import { expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ADMIN = "action-log-admin-token-0123456789";
const logged: { message: string; fields: unknown }[] = [];

const registry = setup({
	use: {
		broken: actor({ state: {}, actions: { boom: () => Promise.reject(new Error("kaboom")) } }),
	},
	admin: { token: ADMIN },
	logger: createLogger({
		level: "error",
		sink: (_level, message, fields) => logged.push({ message, fields }),
	}),
});

it("logs an inspector-run action's error under the id its answer carries", async () => {
	await using t = await setupTest(registry);
	const actorId = await t.client.broken.getOrCreate("b").resolve();
	const answer = await fetch(`${t.url}/inspector/actors/${actorId}/actions/boom`, {
		method: "POST",
		headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
		body: '{"args":[]}',
	});
	expect(answer.status).toBe(500);
	const requestId = answer.headers.get("x-request-id");
	expect(requestId).toBeTruthy();
	const line = logged.find((entry) => entry.message === "error in action 'boom'");
	expect(line?.fields).toMatchObject({
		requestId,
		error: expect.objectContaining({ message: "kaboom" }),
	});
});
