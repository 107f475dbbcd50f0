// Regression (an attacker probe, 2026-11-27): `onRequest` and `onWebSocket` got the query
// without its `rvt-*` parameters, but rebuilt through URLSearchParams: `~` as `%7E`, `/` as
// `%2F`, `%20` as `+`, a bare `flag` as `flag=`, and bytes that are not UTF-8 as U+FFFD. A
// webhook checking a signature over its URL failed for genuine requests. Now the other pairs
// pass as sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const raw = actor({
	state: {},
	onRequest: (_c, request) => new Response(new URL(request.url).search),
	onWebSocket: (_c, socket) => socket.send(socket.url),
	actions: {},
});

let server: TenonServer;
beforeAll(async () => {
	server = await setup({ use: { raw }, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
});
afterAll(async () => {
	await server?.close();
});

const QUERIES = ["sig=abc~def&flag&x=%FF", "p=a%20b&q=a+b", "path=/a/b&t=*", "caf%E9=1&%FF=%FE"];

describe("the query a raw handler gets", () => {
	it("is the query as sent, less its rvt-* parameters", async () => {
		for (const query of QUERIES) {
			const url = `${server.url}/gateway/raw/request/hook?rvt-method=getOrCreate&${query}&rvt-key=q`;
			expect(await (await fetch(url)).text(), query).toBe(`?${query}`);
		}
	});

	it("reaches onWebSocket as sent too", async () => {
		for (const query of QUERIES) {
			const socket = new WebSocket(
				`${server.url.replace("http", "ws")}/gateway/raw/websocket/room?${query}&rvt-method=getOrCreate&rvt-key=q`,
			);
			const url = await new Promise<string>((resolve, reject) => {
				socket.once("message", (data) => resolve(String(data)));
				socket.once("error", reject);
			});
			socket.close();
			expect(url, query).toBe(`/room?${query}`);
		}
	});
});
