// Tenon's client sends HTTP calls without the request copy a redirect would
// need (in Node that copy cost ~40 µs of CPU a call); an endpoint behind
// something that redirects still works: the client follows from then on.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({
	state: { count: 0 },
	actions: { increment: (c, by: number) => (c.state.count += by) },
});
const registry = setup({ use: { counter }, logLevel: "silent" });

describe("the client's HTTP calls", () => {
	it("work directly, and through an endpoint that redirects (once refused, then followed)", async () => {
		await using t = await setupTest(registry);
		const direct = createClient<typeof registry>({ endpoint: t.url });
		expect(await direct.counter.getOrCreate("c").increment(1)).toBe(1);
		let redirected = 0;
		const front = createServer((req, res) => {
			redirected++;
			// 307: the same method and body at the new place.
			res.writeHead(307, { location: `${t.url}${req.url}` });
			res.end();
		});
		await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
		try {
			const port = (front.address() as AddressInfo).port;
			// JSON: Node 20's fetch cannot send a byte body again after a 307 (a
			// detached buffer, with or without this change), so CBOR never could.
			const behind = createClient<typeof registry>({
				endpoint: `http://127.0.0.1:${port}`,
				encoding: "json",
			});
			expect(await behind.counter.getOrCreate("c").increment(2)).toBe(3);
			expect(await behind.counter.getOrCreate("c").increment(3)).toBe(6);
			// Refused once, then followed: each call still ran exactly once.
			expect(redirected).toBe(3);
			await behind.dispose();
		} finally {
			await new Promise((resolve) => front.close(resolve));
		}
		await direct.dispose();
	});
});
