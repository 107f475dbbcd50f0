// Every change an operator makes with the admin token leaves a line in the log, with who made
// it: the inspector's action runs, state edits and destroys did; creating an actor in the
// inspector and destroying one through the management REST API did not (an operator's
// walkthrough, 2026-11-29).
import { expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ADMIN = "admin-token-for-the-audit-test-0123456789";
const note = actor({ state: { text: "" }, actions: { read: (c) => c.state.text } });

it("logs an actor created in the inspector and one destroyed through the REST API, with who", async () => {
	const lines: { message: string; fields: LogFields }[] = [];
	await using t = await setupTest(
		setup({
			use: { note },
			admin: { token: ADMIN },
			logger: createLogger({
				level: "info",
				sink: (_level, message, fields) => lines.push({ message, fields }),
			}),
		}),
	);
	const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
	const created = await fetch(`${t.url}/inspector/actors`, {
		method: "POST",
		headers,
		body: JSON.stringify({ name: "note", key: ["audited"] }),
	});
	expect(created.status).toBe(201);
	const { actor: summary } = (await created.json()) as { actor: { actorId?: string; id?: string } };
	const actorId = (summary.actorId ?? summary.id) as string;
	expect(lines).toContainEqual({
		message: "inspector created an actor",
		fields: expect.objectContaining({
			actorId,
			actor: "note",
			who: expect.stringMatching(/^admin@/),
		}),
	});
	const destroyed = await fetch(`${t.url}/actors/${actorId}`, { method: "DELETE", headers });
	expect(destroyed.status).toBe(200);
	expect(lines).toContainEqual({
		message: "an actor was destroyed through the management API",
		fields: expect.objectContaining({ actorId, who: expect.stringMatching(/^admin@/) }),
	});
});
