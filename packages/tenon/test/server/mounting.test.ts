import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, event, memoryDriver, setup } from "../../src/index.js";

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c) => {
			c.state.count++;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
	},
});

describe("mounting in another server", () => {
	it("serves through registry.handler under a base path", async () => {
		const registry = setup({
			use: { counter },
			storage: memoryDriver(),
			basePath: "/api/tenon",
			logLevel: "silent",
		});
		try {
			const call = () =>
				registry.handler(
					new Request(
						"http://app.local/api/tenon/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=m",
						{
							method: "POST",
							headers: { "content-type": "application/json" },
							body: '{"args":[]}',
						},
					),
				);
			expect(await (await call()).json()).toEqual({ output: 1 });
			expect(await (await call()).json()).toEqual({ output: 2 });
			const outside = await registry.handler(new Request("http://app.local/other/metadata"));
			expect(outside.status).toBe(404);
			const metadata = await registry.handler(new Request("http://app.local/api/tenon/metadata"));
			expect((await metadata.json()).runtime).toBe("tenon");
		} finally {
			await registry.stop();
		}
	});

	it("serves HTTP and WebSockets through nodeHandlers on your own http.Server", async () => {
		const registry = setup({ use: { counter }, storage: memoryDriver(), logLevel: "silent" });
		const handlers = await registry.nodeHandlers();
		const server = createServer((req, res) => {
			if (req.url === "/hello") {
				res.end("app route");
				return;
			}
			handlers.onRequest(req, res);
		});
		server.on("upgrade", handlers.onUpgrade);
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		const client = createClient<typeof registry>(url);
		try {
			expect(await (await fetch(`${url}/hello`)).text()).toBe("app route");
			const conn = client.counter.getOrCreate("n").connect();
			const seen: number[] = [];
			conn.on("changed", (count) => seen.push(count));
			expect(await conn.increment()).toBe(1);
			expect(await client.counter.getOrCreate("n").increment()).toBe(2);
			await expect.poll(() => seen).toEqual([1, 2]);
		} finally {
			await client.dispose();
			handlers.close();
			await registry.stop();
			await new Promise((resolve) => server.close(resolve));
		}
	});

	it("stays stopped after registry.stop(): no new runtime, the same 503 on every handler", async () => {
		const registry = setup({ use: { counter }, storage: memoryDriver(), logLevel: "silent" });
		const call = () =>
			registry.handler(
				new Request(
					"http://app.local/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=s",
					{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
				),
				{ remoteAddress: "127.0.0.1" },
			);
		expect(await (await call()).json()).toEqual({ output: 1 });
		const handlers = await registry.nodeHandlers();
		await registry.stop();
		// Before 2026-11-29 the next request started a new runtime (a fresh memory store here:
		// output 1 again), while handlers taken before the stop answered 503.
		const after = await call();
		expect(after.status).toBe(503);
		expect(await after.json()).toMatchObject({ group: "core", code: "shutting_down" });
		const ready = await registry.handler(new Request("http://app.local/ready"));
		expect(ready.status).toBe(503);
		expect(await ready.json()).toMatchObject({ reason: "stopped" });
		await expect(registry.nodeHandlers()).resolves.toBeDefined();
		handlers.close();
		await registry.stop();
	});

	it("answers 503 when stopped before its first request, without opening storage", async () => {
		let opened = 0;
		const storage = memoryDriver();
		const counting: typeof storage = {
			...storage,
			open: (options) => {
				opened++;
				return storage.open(options);
			},
		};
		const registry = setup({ use: { counter }, storage: counting, logLevel: "silent" });
		await registry.stop();
		const response = await registry.handler(new Request("http://app.local/ready"));
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ group: "core", code: "shutting_down" });
		await expect(registry.nodeHandlers()).rejects.toThrow(/stopped/);
		expect(opened).toBe(0);
	});
});
