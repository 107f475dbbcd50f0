// The client against a server that is broken or hostile: one that never
// answers, sends what cannot be read, or answers without end. Each fails with
// a clear error in bounded time and memory, and nothing is left running.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { WebSocket as WsWebSocket } from "ws";
import type { ActorError } from "../../src/client/index.js";
import { createClient } from "../../src/client/index.js";
import { actor, event, setup } from "../../src/index.js";
import { frame, type HostileServer, startHostileServer } from "./hostile-server.js";

// Only for the client's types: the hostile server plays this actor.
const thing = actor({
	state: {},
	events: { ping: event<number>() },
	actions: { get: () => 0 as number },
});
const registry = setup({ use: { thing }, logLevel: "silent" });

const fast = { minDelayMs: 20, maxDelayMs: 40 };

function clientOf(server: HostileServer, options: { connectTimeoutMs?: number } = {}) {
	return createClient<typeof registry>({
		endpoint: server.url,
		encoding: "json",
		reconnect: fast,
		...options,
	});
}

/**
 * Answers the connection protocol as a server would: Init, then every call
 * with `output(n)` (`0` by default), n counting the sockets from 1.
 */
function answerCalls(server: HostileServer, output: (socket: number) => unknown = () => 0): void {
	let sockets = 0;
	server.onUpgrade = {
		kind: "accept",
		onSocket: (ws) => {
			const socket = ++sockets;
			ws.send(frame("Init", { actorId: "a1", connectionId: "c1" }));
			ws.on("message", (data) => {
				const message = JSON.parse(String(data));
				if (message.body.tag === "ActionRequest")
					ws.send(frame("ActionResponse", { id: message.body.val.id, output: output(socket) }));
			});
		},
	};
}

const codes = (errors: ActorError[]) => errors.map((error) => `${error.group}/${error.code}`);

describe("the client against a hostile server", () => {
	it("a server that takes the TCP connection and never answers the upgrade times the attempt out and is tried again", async () => {
		await using server = await startHostileServer();
		server.onUpgrade = { kind: "raw", onSocket: () => {} };
		const client = clientOf(server, { connectTimeoutMs: 150 });
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		const queued = conn.get();
		await expect.poll(() => errors.length).toBeGreaterThanOrEqual(2);
		expect(server.upgrades.length).toBeGreaterThanOrEqual(2);
		expect(codes(errors).slice(0, 2)).toEqual(["client/connect_timeout", "client/connect_timeout"]);
		// The call made meanwhile was kept, and goes through once a server answers.
		answerCalls(server);
		expect(await queued).toBe(0);
		expect(conn.connStatus).toBe("connected");
		await client.dispose();
	});

	it("a server that accepts the WebSocket and never sends Init times the attempt out and is tried again", async () => {
		await using server = await startHostileServer();
		const client = clientOf(server, { connectTimeoutMs: 150 });
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		const statuses: string[] = [];
		conn.onStatusChange((status) => statuses.push(status));
		await expect.poll(() => server.upgrades.length).toBeGreaterThanOrEqual(2);
		expect(codes(errors)[0]).toBe("client/connect_timeout");
		expect(statuses.slice(0, 2)).toEqual(["disconnected", "connecting"]);
		// Disposed while an attempt hangs: no timer is left to try again.
		await client.dispose();
		const seen = server.upgrades.length;
		await new Promise((resolve) => setTimeout(resolve, 400));
		expect(server.upgrades.length).toBe(seen);
		expect(conn.connStatus).toBe("idle");
	});

	it("nothing more is read from a socket after a frame the client cannot read", async () => {
		await using server = await startHostileServer();
		let sockets = 0;
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				sockets++;
				ws.send(frame("Init", { actorId: "a1", connectionId: `c${sockets}` }));
				if (sockets > 1) return;
				ws.on("message", (data) => {
					const message = JSON.parse(String(data));
					if (message.body.tag !== "ActionRequest") return;
					ws.send("{not json");
					// Past the unreadable frame: neither an event nor the call's answer counts.
					ws.send(frame("Event", { name: "ping", args: [1] }));
					ws.send(frame("ActionResponse", { id: message.body.val.id, output: 1 }));
				});
			},
		};
		const client = clientOf(server);
		const conn = client.thing.getForId("a1").connect();
		const events: number[] = [];
		conn.on("ping", (n) => events.push(n));
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.get()).rejects.toMatchObject({ group: "client", code: "bad_message" });
		await expect.poll(() => sockets).toBe(2);
		await expect.poll(() => conn.connStatus).toBe("connected");
		expect(events).toEqual([]);
		expect(codes(errors)).toEqual(["client/bad_message"]);
		await client.dispose();
	});

	it("a connection id that cannot travel back in a sub-protocol is a bad message, not a reconnect that fails forever", async () => {
		await using server = await startHostileServer();
		let sockets = 0;
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				sockets++;
				ws.send(
					frame("Init", { actorId: "a1", connectionId: sockets === 1 ? "bad id, spaced" : "ok" }),
				);
			},
		};
		const client = clientOf(server);
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect.poll(() => conn.connStatus).toBe("connected");
		expect(conn.connectionId).toBe("ok");
		expect(codes(errors)).toEqual(["client/bad_message"]);
		// The second attempt offered no connection id to resume.
		const offered = (request: IncomingMessage | undefined) =>
			String(request?.headers["sec-websocket-protocol"]);
		expect(offered(server.upgrades[1])).not.toContain("rivet_conn.");
		await client.dispose();
	});

	it("an endpoint the WebSocket constructor refuses gives up with one error", async () => {
		const client = createClient<typeof registry>({
			endpoint: "ftp://127.0.0.1:1",
			reconnect: fast,
		});
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect.poll(() => conn.connStatus).toBe("idle");
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(codes(errors)).toEqual(["client/connect_failed"]);
		await expect(conn.get()).rejects.toMatchObject({ code: "connect_failed" });
		await client.dispose();
	});

	it("an answer for an action id the client never sent is ignored", async () => {
		await using server = await startHostileServer();
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				ws.send(frame("Init", { actorId: "a1", connectionId: "c1" }));
				ws.on("message", (data) => {
					const message = JSON.parse(String(data));
					if (message.body.tag !== "ActionRequest") return;
					ws.send(frame("ActionResponse", { id: 9_999, output: "stray" }));
					ws.send(frame("Error", { group: "g", code: "c", message: "stray", actionId: 9_998 }));
					ws.send(frame("ActionResponse", { id: message.body.val.id, output: 7 }));
				});
			},
		};
		const client = clientOf(server);
		const conn = client.thing.getForId("a1").connect();
		expect(await conn.get()).toBe(7);
		expect(await conn.get()).toBe(7);
		await client.dispose();
	});

	it("a call on a socket the server went silent on (no close, no pong) fails, and the connection reconnects", async () => {
		await using server = await startHostileServer();
		let sockets = 0;
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				sockets++;
				ws.send(frame("Init", { actorId: "a1", connectionId: "c1" }));
				// The first socket's peer is gone: nothing it is sent is read, or answered.
				if (sockets === 1) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
				else
					ws.on("message", (data) => {
						const message = JSON.parse(String(data));
						if (message.body.tag === "ActionRequest")
							ws.send(frame("ActionResponse", { id: message.body.val.id, output: 0 }));
					});
			},
		};
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			reconnect: fast,
			heartbeatMs: 100,
		});
		const conn = client.thing.getForId("a1").connect();
		await expect.poll(() => conn.connStatus).toBe("connected");
		await expect(conn.get()).rejects.toMatchObject({ group: "client", code: "connection_lost" });
		await expect.poll(() => sockets).toBe(2);
		expect(await conn.get()).toBe(0);
		await client.dispose();
	});

	it("a quiet server that answers pings keeps its connection", async () => {
		await using server = await startHostileServer();
		answerCalls(server);
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			heartbeatMs: 50,
		});
		const conn = client.thing.getForId("a1").connect();
		const statuses: string[] = [];
		conn.onStatusChange((status) => statuses.push(status));
		expect(await conn.get()).toBe(0);
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(await conn.get()).toBe(0);
		expect(server.upgrades).toHaveLength(1);
		expect(statuses).toEqual(["connected"]);
		await client.dispose();
	});

	it("a message over maxMessageBytes drops the socket with client/message_too_large, and the connection reconnects", async () => {
		await using server = await startHostileServer();
		// The first socket's answer is too large; the next ones answer 0.
		answerCalls(server, (socket) => (socket === 1 ? "x".repeat(300_000) : 0));
		// Before, `ws`'s own 100 MiB was the only limit (on Node; browsers set theirs).
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			reconnect: fast,
			maxMessageBytes: 100_000,
		});
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.get()).rejects.toMatchObject({ group: "client", code: "message_too_large" });
		expect(codes(errors)).toEqual(["client/message_too_large"]);
		await expect.poll(() => server.upgrades.length).toBe(2);
		expect(await conn.get()).toBe(0);
		await client.dispose();
	});

	it("a server that sends Init and closes at once is asked again with growing delays", async () => {
		await using server = await startHostileServer();
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				ws.send(frame("Init", { actorId: "a1", connectionId: "c1" }));
				ws.close(1011, "");
			},
		};
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			reconnect: { minDelayMs: 20, maxDelayMs: 10_000 },
		});
		client.thing.getForId("a1").connect();
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		// 10 to 20 ms, 20 to 40, 40 to 80 ...: at most 7 in a second. Before, each Init
		// started the backoff over, and the client came back every 10 to 20 ms (50 or more).
		expect(server.upgrades.length).toBeGreaterThanOrEqual(3);
		expect(server.upgrades.length).toBeLessThanOrEqual(8);
		await client.dispose();
	});

	it("dispose does not wait more than a second for a server that never answers the close, and leaves no socket open", async () => {
		await using server = await startHostileServer();
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				ws.send(frame("Init", { actorId: "a1", connectionId: "c1" }));
				// Reads nothing more: the client's close frame is never answered.
				(ws as unknown as { _socket: { pause(): void } })._socket.pause();
			},
		};
		const made: WsWebSocket[] = [];
		class Recorded extends WsWebSocket {
			constructor(url: string, protocols?: string | string[]) {
				super(url, protocols);
				made.push(this);
			}
		}
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			WebSocket: Recorded as unknown as typeof WebSocket,
		});
		const conn = client.thing.getForId("a1").connect();
		await expect.poll(() => conn.connStatus).toBe("connected");
		const startedAt = Date.now();
		await client.dispose();
		expect(Date.now() - startedAt).toBeLessThan(1_500);
		// Cut, not left to ws's own 30 s wait for the server's answer.
		expect(made).toHaveLength(1);
		await expect.poll(() => made[0]?.readyState, { timeout: 500 }).toBe(WsWebSocket.CLOSED);
	});
});

describe("HTTP answers from a hostile server", () => {
	/** An answer that never ends; `written` counts what the server got out. */
	function endlessAnswer(server: HostileServer): { written: number } {
		const counter = { written: 0 };
		const chunk = Buffer.alloc(64 * 1024, 0x20);
		server.onRequest = (_request, response) => {
			response.writeHead(200, { "content-type": "application/json" });
			const pump = () => {
				while (!response.destroyed) {
					counter.written += chunk.byteLength;
					if (!response.write(chunk)) {
						response.once("drain", pump);
						return;
					}
				}
			};
			pump();
		};
		return counter;
	}

	it.each([
		["node:http", false],
		["fetch", true],
	])(
		"an answer that never ends fails with client/response_too_large over %s",
		async (_route, useFetch) => {
			await using server = await startHostileServer();
			const counter = endlessAnswer(server);
			const client = createClient<typeof registry>({
				endpoint: server.url,
				encoding: "json",
				maxResponseBytes: 1024 * 1024,
				...(useFetch ? { fetch: (input, init) => fetch(input, init) } : {}),
			});
			await expect(client.thing.getForId("a1").get()).rejects.toMatchObject({
				group: "client",
				code: "response_too_large",
			});
			// Read up to the limit, and the rest refused (the socket's buffers aside).
			expect(counter.written).toBeLessThan(32 * 1024 * 1024);
		},
	);

	it.each([
		["node:http", false],
		["fetch", true],
	])(
		"an answer whose Content-Length is over the limit fails before its body is read, over %s",
		async (_route, useFetch) => {
			await using server = await startHostileServer();
			server.onRequest = (_request, response) => {
				response.writeHead(200, {
					"content-type": "application/json",
					"content-length": String(10 * 1024 * 1024),
				});
				response.write("[");
			};
			const client = createClient<typeof registry>({
				endpoint: server.url,
				encoding: "json",
				maxResponseBytes: 1024 * 1024,
				...(useFetch ? { fetch: (input, init) => fetch(input, init) } : {}),
			});
			await expect(client.thing.getForId("a1").get()).rejects.toMatchObject({
				code: "response_too_large",
			});
		},
	);

	it.each([
		[
			"PUT /actors (getOrCreate)",
			(client: ReturnType<typeof clientOf>) => client.thing.getOrCreate("a,b").get(),
		],
		["GET /actors (get)", (client: ReturnType<typeof clientOf>) => client.thing.get("a,b").get()],
		["POST /actors (create)", (client: ReturnType<typeof clientOf>) => client.thing.create("a")],
	])("an answer to %s without an actor is client/bad_response", async (_route, call) => {
		await using server = await startHostileServer();
		server.onRequest = (_request, response) => {
			response.writeHead(200, { "content-type": "application/json" });
			response.end(JSON.stringify({ actor: { actor_id: 5 }, actors: "none" }));
		};
		await expect(call(clientOf(server))).rejects.toMatchObject({
			group: "client",
			code: "bad_response",
		});
	});

	it("a binary connection reads a refusal a server sent in JSON text before Init (not a bad message)", async () => {
		await using server = await startHostileServer();
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				ws.send(
					frame("Error", {
						group: "request",
						code: "conn_params_too_long",
						message: "Connection params exceed 4096 bytes",
						metadata: null,
						actionId: null,
					}),
				);
				ws.close(1008, "request.conn_params_too_long");
			},
		};
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "cbor",
			reconnect: fast,
		});
		const conn = client.thing.getForId("a1").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.get()).rejects.toMatchObject({ code: "conn_params_too_long" });
		expect(conn.connStatus).toBe("idle");
		expect(codes(errors)).toEqual(["request/conn_params_too_long"]);
		expect(server.upgrades).toHaveLength(1);
		await client.dispose();
	});
});
