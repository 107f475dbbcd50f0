// A queue send's body takes `body`, `wait` and `timeout` (and `name`, which RivetKit's client
// repeats): `{ "bdy": 1 }` queued an undefined body and `{ body, evil }` was taken as it came
// (an attacker probe, 2026-11-29). Other fields are refused, as an action's body refuses them.
import { expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const mailbox = actor({
	state: {},
	queues: { jobs: queue<number>() },
	actions: { size: (c) => c.queue.size },
});

it("refuses a queue send with fields it does not take, and takes the clients' own", async () => {
	await using t = await setupTest(setup({ use: { mailbox }, logLevel: "silent" }));
	const send = (body: unknown) =>
		fetch(`${t.url}/gateway/mailbox/queue/jobs?rvt-method=getOrCreate&rvt-key=m`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(body),
		});
	for (const body of [{ bdy: 1 }, { body: 1, evil: 1 }, { body: 1, __proto__x: 1 }]) {
		const refused = await send(body);
		expect(refused.status).toBe(400);
		expect(await refused.json()).toMatchObject({ group: "request", code: "invalid" });
	}
	expect((await send({ body: 1, wait: false, timeout: 10, name: "jobs" })).status).toBe(200);
	expect((await send({ body: 2 })).status).toBe(200);
	// Tenon's client sends as before.
	await t.client.mailbox.getOrCreate("m").send("jobs", 3);
	expect(await t.client.mailbox.getOrCreate("m").size()).toBe(3);
});
