// The raw WebSocket an actor's `onWebSocket` gets is the standard socket RivetKit's handlers
// are written against (a RivetKit parity sweep, 2026-11-29): `addEventListener("open")`
// threw (so the listeners after it were never added and the client got a socket that never
// answered), `onmessage = ...` was ignored, `protocol`/`binaryType` were undefined, and
// `c.request.url` was the gateway's URL, so `new URL(c.request.url).pathname` routed nothing.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

/** What each handler saw, by socket path. */
const seen = new Map<string, Record<string, unknown>>();

const room = actor({
	state: { history: ["m1", "m2"] },
	onRequest: (c) => {
		const url = new URL(c.request?.url ?? "");
		return Response.json({ path: url.pathname, query: url.searchParams.get("q") });
	},
	onWebSocket: (c, websocket) => {
		const url = new URL(c.request?.url ?? "");
		seen.set(url.pathname, {
			host: url.host,
			path: url.pathname,
			foo: url.searchParams.get("foo"),
			rvt: [...url.searchParams.keys()].filter((key) => key.startsWith("rvt-")),
			protocol: websocket.protocol,
			constants: [websocket.CONNECTING, websocket.OPEN, websocket.CLOSING, websocket.CLOSED],
			restored: websocket.restored,
		});
		// RivetKit's example: greet with the history once open, then echo.
		websocket.addEventListener("open", () => {
			websocket.send(JSON.stringify({ type: "history", messages: c.state.history }));
		});
		websocket.addEventListener("error", () => {});
		if (url.pathname === "/binary") websocket.binaryType = "arraybuffer";
		websocket.onmessage = (event) => {
			const data = event.data;
			const kind = typeof data === "string" ? "text" : data.constructor.name;
			websocket.send(`${kind}:${typeof data === "string" ? data : data.byteLength}`);
		};
		websocket.onclose = (event) => {
			seen.set(`${url.pathname}:close`, { code: event.code, wasClean: event.wasClean });
		};
	},
	actions: {},
	options: {
		sleepTimeout: 1_000,
		canHibernateWebSocket: (request) => request.url.includes("/chat"),
	},
});

const registry = setup({ use: { room }, logLevel: "silent" });

function socketUrl(t: { url: string }, path: string): string {
	return `${t.url.replace(/^http/, "ws")}/gateway/room/websocket${path}${path.includes("?") ? "&" : "?"}rvt-method=getOrCreate&rvt-key=r`;
}

describe("the raw WebSocket of onWebSocket", () => {
	it("takes open and error listeners and on... handlers; open fires before any message", async () => {
		await using t = await setupTest(registry);
		const socket = await rawSocket(socketUrl(t, "/admin?foo=bar"), ["chat.v1"]);
		socket.ws.send("hi");
		await expect
			.poll(() => socket.messages)
			.toEqual([JSON.stringify({ type: "history", messages: ["m1", "m2"] }), "text:hi"]);
		expect(seen.get("/admin")).toEqual({
			host: new URL(t.url).host,
			path: "/admin",
			foo: "bar",
			rvt: [],
			protocol: "chat.v1",
			constants: [0, 1, 2, 3],
			restored: false,
		});
		socket.ws.close(4000, "done");
		await expect.poll(() => seen.get("/admin:close")).toEqual({ code: 4000, wasClean: true });
	});

	it("gives binary messages as Uint8Array, or as ArrayBuffer with binaryType arraybuffer", async () => {
		await using t = await setupTest(registry);
		const plain = await rawSocket(socketUrl(t, "/plain"), []);
		plain.ws.send(new Uint8Array([1, 2, 3]));
		const binary = await rawSocket(socketUrl(t, "/binary"), []);
		binary.ws.send(new Uint8Array([1, 2, 3, 4]));
		await expect.poll(() => plain.messages.at(-1)).toBe("Uint8Array:3");
		await expect.poll(() => binary.messages.at(-1)).toBe("ArrayBuffer:4");
		expect(seen.get("/plain")?.protocol).toBe("");
		plain.ws.close();
		binary.ws.close();
	});

	it("keeps the handler's URL on a socket restored after hibernation, without a second open", async () => {
		await using t = await setupTest(registry);
		const socket = await rawSocket(socketUrl(t, "/chat?foo=1"), []);
		await expect.poll(() => socket.messages).toHaveLength(1);
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		socket.ws.send("again");
		await expect.poll(() => socket.messages).toContain("text:again");
		expect(socket.messages.filter((m) => m.toString().includes("history"))).toHaveLength(1);
		expect(seen.get("/chat")).toMatchObject({ path: "/chat", foo: "1", restored: true });
		socket.ws.close();
	});

	it("gives onRequest a c.request at the handler's URL", async () => {
		await using t = await setupTest(registry);
		const response = await t.client.room.getOrCreate("r").fetch("/p/q?q=1");
		expect(await response.json()).toEqual({ path: "/p/q", query: "1" });
	});

	// Resolved against the caller's URL, a path of `//evil.example/admin` named another host
	// in `c.request.url` (a review, 2026-11-29); a browser page can send such a path.
	it("keeps the server's host in c.request.url whatever the path", async () => {
		await using t = await setupTest(registry);
		const socket = await rawSocket(socketUrl(t, "//evil.example/admin"), []);
		await expect.poll(() => socket.messages).toHaveLength(1);
		expect(seen.get("//evil.example/admin")).toMatchObject({ host: new URL(t.url).host });
		socket.ws.close();
	});
});
