import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { actor, event, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const lifecycle: string[] = [];

const ticker = actor({
	state: { ticks: 0 },
	run: async (c) => {
		lifecycle.push("run:start");
		// Busy work keeps the actor awake; it stops when the actor sleeps.
		while (!c.aborted) {
			c.state.ticks++;
			await new Promise((resolve) => setTimeout(resolve, 5));
			if (c.state.ticks >= 3) break;
		}
		lifecycle.push(`run:end:${c.aborted}`);
	},
	actions: {
		ticks: (c) => c.state.ticks,
		sleep: (c) => c.sleep(),
		deferred: (c) => {
			c.waitUntil(
				new Promise((resolve) => setTimeout(resolve, 30)).then(() =>
					lifecycle.push("waitUntil:done"),
				),
			);
			c.sleep();
		},
	},
	onSleep: () => {
		lifecycle.push("onSleep");
	},
	options: { sleepTimeout: 1_000 },
});

const web = actor({
	state: { hits: 0, messages: [] as string[] },
	onRequest: async (c, request) => {
		const url = new URL(request.url);
		if (url.pathname === "/count" && request.method === "POST") {
			c.state.hits++;
			return Response.json({
				hits: c.state.hits,
				query: url.searchParams.get("q"),
				auth: request.headers.get("x-auth"),
			});
		}
		if (url.pathname === "/echo")
			return new Response(await request.text(), { headers: { "content-type": "text/plain" } });
		if (url.pathname === "/cookies") {
			const headers = new Headers();
			headers.append("set-cookie", "a=1; Path=/");
			headers.append("set-cookie", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT");
			return new Response("two cookies", { headers });
		}
		return new Response("not found", { status: 404 });
	},
	onWebSocket: (c, socket) => {
		socket.send(`hello ${socket.url}`);
		socket.addEventListener("message", (event) => {
			const text =
				typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
			c.state.messages.push(text);
			socket.send(`echo:${text}`);
			if (text === "bye") socket.close(1000, "bye");
		});
	},
	actions: { stats: (c) => c.state },
});

const noRaw = actor({ state: {}, actions: { ping: () => "pong" } });

const inventory = actor({
	state: { stock: 10 },
	events: { changed: event<number>() },
	actions: {
		reserve: (c, count: number) => {
			if (count > c.state.stock) return false;
			c.state.stock -= count;
			c.broadcast("changed", c.state.stock);
			return true;
		},
		stock: (c) => c.state.stock,
	},
});

const orders = actor({
	state: { placed: [] as string[] },
	queues: { audit: queue<string>() },
	actions: {
		place: async (c, sku: string, count: number) => {
			const client = c.client<typeof registry>();
			const ok = await client.inventory.getOrCreate(sku).reserve(count);
			if (ok) c.state.placed.push(`${sku}x${count}`);
			await client.orders.getOrCreate("audit-log").send("audit", `${c.key.join("/")}:${sku}:${ok}`);
			return ok;
		},
		watch: async (c, sku: string) => {
			const conn = c.client<typeof registry>().inventory.getOrCreate(sku).connect();
			const seen: number[] = [];
			conn.on("changed", (stock) => seen.push(stock));
			await conn.reserve(1);
			while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
			await conn.dispose();
			return seen;
		},
		audits: async (c) => (await c.queue.tryNextBatch({ count: 10 })).map((m) => m.body),
	},
});

const registry = setup({ use: { ticker, web, noRaw, inventory, orders }, logLevel: "silent" });

describe("run handler", () => {
	it("runs after wake, keeps the actor awake while busy, and is aborted on sleep", async () => {
		await using t = await setupTest(registry);
		lifecycle.length = 0;
		const handle = t.client.ticker.getOrCreate("r");
		await expect.poll(() => handle.ticks()).toBe(3);
		expect(lifecycle).toEqual(["run:start", "run:end:false"]);
		await handle.sleep();
		await t.settle();
		expect(lifecycle).toContain("onSleep");
		await handle.ticks();
		await expect.poll(() => lifecycle.filter((entry) => entry === "run:start").length).toBe(2);
	});

	it("drains waitUntil work in the grace period before sleeping", async () => {
		await using t = await setupTest(registry);
		lifecycle.length = 0;
		const handle = t.client.ticker.getOrCreate("grace");
		await handle.deferred();
		await expect.poll(() => lifecycle).toContain("onSleep");
		expect(lifecycle.indexOf("waitUntil:done")).toBeLessThan(lifecycle.indexOf("onSleep"));
		expect(lifecycle.indexOf("waitUntil:done")).toBeGreaterThanOrEqual(0);
	});
});

describe("raw handlers", () => {
	it("serves onRequest through the client and plain fetch", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.web.getOrCreate("w");
		const first = await handle.fetch("/count?q=1", { method: "POST", headers: { "x-auth": "a" } });
		expect(await first.json()).toEqual({ hits: 1, query: "1", auth: "a" });
		const echo = await handle.fetch("/echo", { method: "POST", body: "some text" });
		expect(await echo.text()).toBe("some text");
		expect((await handle.fetch("/missing")).status).toBe(404);
		const id = await handle.resolve();
		const plain = await fetch(`${t.url}/gateway/${id}/request/count?q=2`, { method: "POST" });
		expect(await plain.json()).toEqual({ hits: 2, query: "2", auth: null });
		// Regression (an attacker probe, 2026-11-24): only the last Set-Cookie arrived.
		const cookies = await fetch(`${t.url}/gateway/${id}/request/cookies`);
		expect(cookies.headers.getSetCookie()).toEqual([
			"a=1; Path=/",
			"b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
		]);
		const noHandler = await fetch(`${t.url}/gateway/noRaw/request/x?rvt-method=getOrCreate`);
		expect(noHandler.status).toBe(404);
		expect((await noHandler.json()).code).toBe("handler_not_found");
	});

	it("selects the socket's own protocol, or rivet: never the one carrying its params", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.web.getOrCreate("ws-protocol", { params: { token: "secret-token-1" } });
		const opened = async (socket: globalThis.WebSocket) => {
			await new Promise<void>((resolve) => socket.addEventListener("open", () => resolve()));
			const protocol = socket.protocol;
			socket.close();
			return protocol;
		};
		expect(await opened(await handle.webSocket("/room"))).toBe("rivet");
		expect(await opened(await handle.webSocket("/room", ["chat.v1"]))).toBe("chat.v1");
	});

	it("serves onWebSocket through the client and a plain WebSocket", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.web.getOrCreate("ws");
		const socket = await handle.webSocket("/room?x=1");
		const received: string[] = [];
		socket.addEventListener("message", (event) => received.push(String(event.data)));
		await new Promise<void>((resolve) => socket.addEventListener("open", () => resolve()));
		socket.send("hi");
		await expect.poll(() => received).toEqual(["hello /room?x=1", "echo:hi"]);
		socket.close();

		const id = await handle.resolve();
		const plain = new WebSocket(`${t.url.replace("http", "ws")}/gateway/${id}/websocket/plain`);
		const plainReceived: string[] = [];
		plain.on("message", (data) => plainReceived.push(data.toString()));
		const closed = new Promise<number>((resolve) => plain.on("close", (code) => resolve(code)));
		await new Promise<void>((resolve) => plain.on("open", () => resolve()));
		plain.send("bye");
		expect(await closed).toBe(1000);
		expect(plainReceived).toEqual(["hello /plain", "echo:bye"]);
		expect((await handle.stats()).messages).toEqual(["hi", "bye"]);
	});
});

describe("actor-to-actor", () => {
	it("calls other actors with the typed client, in-process", async () => {
		await using t = await setupTest(registry);
		const order = t.client.orders.getOrCreate(["shop", "1"]);
		expect(await order.place("sku-1", 4)).toBe(true);
		expect(await order.place("sku-1", 7)).toBe(false);
		expect(await t.client.inventory.getOrCreate("sku-1").stock()).toBe(6);
		expect(await t.client.orders.getOrCreate("audit-log").audits()).toEqual([
			"shop/1:sku-1:true",
			"shop/1:sku-1:false",
		]);
		expect(await order.watch("sku-2")).toEqual([9]);
	});
});
