// Tenon's client sends HTTP calls without the request copy a redirect would
// need (in Node that copy cost ~40 µs of CPU a call): a redirect answer to a
// call is an error, and the call is not sent again (nor anywhere else).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { forwardRequest } from "../helpers/forward.js";

const counter = actor({
	state: { count: 0 },
	actions: { increment: (c, by: number) => (c.state.count += by) },
});
const registry = setup({ use: { counter }, logLevel: "silent" });

describe("the client's HTTP calls", () => {
	it("work directly, and refuse an endpoint that redirects without sending the call again", async () => {
		await using t = await setupTest(registry);
		const direct = createClient<typeof registry>({ endpoint: t.url });
		expect(await direct.counter.getOrCreate("c").increment(1)).toBe(1);
		let seen = 0;
		// A proxy that forwards the call, then answers with a redirect anyway
		// (an attacker probe had the call run twice when the client sent it again).
		const front = createServer(async (req, res) => {
			seen++;
			await forwardRequest(t.url, req).then((r) => r.arrayBuffer());
			res.writeHead(307, { location: `http://127.0.0.2:1${req.url}` });
			res.end();
		});
		await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
		try {
			const port = (front.address() as AddressInfo).port;
			const behind = createClient<typeof registry>({ endpoint: `http://127.0.0.1:${port}` });
			await expect(behind.counter.getOrCreate("c").increment(2)).rejects.toMatchObject({
				group: "client",
				code: "redirected",
			});
			// Sent once, run once; the redirect's target got nothing.
			expect(seen).toBe(1);
			expect(await direct.counter.getOrCreate("c").increment(0)).toBe(3);
			await behind.dispose();
		} finally {
			await new Promise((resolve) => front.close(resolve));
		}
		await direct.dispose();
	});
});
