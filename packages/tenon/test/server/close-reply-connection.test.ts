// A reply decided while the server closes, on the fetch path (a queue send
// answered after onSleep completed its message): it says `connection: close`
// (it said keep-alive, and a client might reuse a socket about to close).
import http from "node:http";
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const hooked = actor({
	state: {},
	queues: { mail: queue<string, string>() },
	actions: { ping: () => true, size: (c) => c.queue.size },
	onSleep: async (c) => {
		const m = await c.queue.tryNext({ completable: true });
		await m?.complete("from onSleep");
	},
});
const registry = setup({ use: { hooked }, logLevel: "silent" });

describe("a reply decided during the close, on the fetch path", () => {
	it("tells the client the connection closes", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.hooked.getOrCreate("h");
		await handle.ping();
		const actorId = await handle.resolve();
		const url = new URL(`${t.url}/gateway/${actorId}/queue/mail`);
		const agent = new http.Agent({ keepAlive: true });
		const reply = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
			(resolve, reject) => {
				const req = http.request(
					url,
					{ method: "POST", agent, headers: { "content-type": "application/json" } },
					(res) => {
						let body = "";
						res.on("data", (d) => (body += d));
						res.on("end", () =>
							resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
						);
					},
				);
				req.on("error", reject);
				req.end(JSON.stringify({ name: "mail", body: "x", wait: true, timeout: 100_000 }));
			},
		);
		await expect.poll(() => handle.size()).toBe(1);
		await t.restart();
		const got = await reply;
		agent.destroy();
		console.log(got);
		expect(got.body).toContain("from onSleep");
		expect(got.headers.connection).toBe("close");
	}, 10_000);
});
