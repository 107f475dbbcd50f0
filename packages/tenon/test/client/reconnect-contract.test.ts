// What docs/client.md promises when a connection's socket drops (a server
// crash, a network cut): calls in flight reject with client/connection_lost
// and are not sent again; calls made while it is down are sent once, after it
// is back; its event subscriptions are sent again; it resumes with its id.

import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { createClient } from "../../src/client/index.js";
import { actor, event, setup } from "../../src/index.js";
import { frame, startHostileServer } from "./hostile-server.js";

// Only for the client's types: the scripted server plays this actor.
const thing = actor({
	state: {},
	events: { ping: event<number>(), pong: event<number>() },
	actions: { get: (_c, _label: string) => "" as string },
});
const registry = setup({ use: { thing }, logLevel: "silent" });

interface Received {
	socket: number;
	tag: string;
	val: { name?: string; eventName?: string; subscribe?: boolean; args?: unknown[] };
}

describe("a connection whose socket drops", () => {
	it("rejects the calls in flight, sends those made meanwhile once, subscribes again and resumes", async () => {
		await using server = await startHostileServer();
		const received: Received[] = [];
		const sockets: WebSocket[] = [];
		/** Calls the server answers only on the second socket (the first one "crashes" first). */
		server.onUpgrade = {
			kind: "accept",
			onSocket: (ws) => {
				const socket = sockets.push(ws);
				ws.send(frame("Init", { actorId: "a1", connectionId: "conn-1" }));
				ws.on("message", (data) => {
					const { tag, val } = JSON.parse(String(data)).body;
					received.push({ socket, tag, val });
					if (tag === "ActionRequest" && socket === 2)
						ws.send(frame("ActionResponse", { id: val.id, output: `${val.args[0]} answered` }));
				});
			},
		};
		const client = createClient<typeof registry>({
			endpoint: server.url,
			encoding: "json",
			reconnect: { minDelayMs: 100, maxDelayMs: 100 },
		});
		const conn = client.thing.getForId("a1").connect();
		const pings: number[] = [];
		conn.on("ping", (n) => pings.push(n));
		const pongs: number[] = [];
		conn.once("pong", (n) => pongs.push(n));
		const inFlight = conn.get("in flight");
		await expect.poll(() => received.filter((m) => m.tag === "ActionRequest")).toHaveLength(1);
		// The server crashes: its socket is cut, nothing answered.
		sockets[0]?.terminate();
		await expect(inFlight).rejects.toMatchObject({ group: "client", code: "connection_lost" });
		expect(conn.connStatus).toBe("disconnected");
		const meanwhile = conn.get("meanwhile");
		expect(await meanwhile).toBe("meanwhile answered");
		expect(conn.connStatus).toBe("connected");
		// The second socket resumed the connection, subscribed again, and got the one queued call.
		const offered = String(server.upgrades[1]?.headers["sec-websocket-protocol"]);
		expect(offered).toContain("rivet_conn.conn-1");
		const second = received.filter((m) => m.socket === 2);
		expect(
			second.filter((m) => m.tag === "SubscriptionRequest").map((m) => m.val.eventName),
		).toEqual(["ping", "pong"]);
		expect(second.filter((m) => m.tag === "ActionRequest").map((m) => m.val.args?.[0])).toEqual([
			"meanwhile",
		]);
		// Events flow on the new socket, to `on` and to the `once` that had not fired.
		sockets[1]?.send(frame("Event", { name: "ping", args: [1] }));
		sockets[1]?.send(frame("Event", { name: "pong", args: [2] }));
		sockets[1]?.send(frame("Event", { name: "pong", args: [3] }));
		await expect.poll(() => pings).toEqual([1]);
		await expect.poll(() => pongs).toEqual([2]);
		await client.dispose();
	});
});
