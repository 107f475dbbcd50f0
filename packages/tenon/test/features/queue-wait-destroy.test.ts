// A sender waiting for its message when an operator destroys the actor was answered
// `timedOut`, which says the message stays queued, though it went with the actor (an attacker
// probe, 2026-11-28). It fails with actor/not_found; a sleep still answers `timedOut`.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const ADMIN = "admin-token-for-this-test";
const worker = actor({
	queues: { jobs: queue<number>() },
	actions: { size: (c) => c.queue.size },
});
const registry = setup({ use: { worker }, logLevel: "silent", admin: { token: ADMIN } });

describe("a sender waiting when its actor is destroyed", () => {
	it("fails with actor/not_found, not timedOut", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("w");
		const actorId = await handle.resolve();
		const waiting = handle.send("jobs", 1, { wait: true, timeout: 30_000 }).then(
			(result) => ({ result }),
			(error: { group?: string; code?: string }) => ({ error: `${error.group}/${error.code}` }),
		);
		await expect.poll(() => handle.size()).toBe(1);
		const destroyed = await fetch(`${t.url}/actors/${actorId}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${ADMIN}` },
		});
		expect(destroyed.status).toBe(200);
		expect(await waiting).toEqual({ error: "actor/not_found" });
	});
});
