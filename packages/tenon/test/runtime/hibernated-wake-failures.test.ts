// Regression (an attacker probe, 2026-11-27): docs/connections.md promises that when an actor
// cannot be woken for a message on a hibernated connection, the waiting actions get the error
// and the socket stays open for the next message to try again. A wake that failed in the
// actor's own hooks (`createVars`, `onWake`, or past `wakeTimeout`) instead closed every
// hibernated socket with 1011 and left their held actions unanswered.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const failing = { onWake: 0, createVars: 0 };

const room = actor({
	state: { wakes: 0 },
	createConnState: (_c, params: { name: string }) => ({ name: String(params.name) }),
	createVars: () => {
		if (failing.createVars > 0) {
			failing.createVars--;
			throw new Error("dependency unavailable");
		}
		return {};
	},
	onWake: (c) => {
		if (failing.onWake > 0) {
			failing.onWake--;
			throw new Error("dependency unavailable");
		}
		c.state.wakes++;
	},
	actions: {
		me: (c) => ({ id: c.conn.id, name: c.conn.state.name, wakes: c.state.wakes }),
	},
	options: { sleepTimeout: 1_000 },
});
let failEchoWakes = 0;
const echo = actor({
	state: { wakes: 0 },
	onWake: (c) => {
		if (failEchoWakes > 0) {
			failEchoWakes--;
			throw new Error("dependency unavailable");
		}
		c.state.wakes++;
	},
	onWebSocket: (c, ws) => {
		ws.addEventListener("message", (event) => ws.send(`echo:${event.data}:${c.state.wakes}`));
	},
	actions: { wakes: (c) => c.state.wakes },
	options: { sleepTimeout: 1_000, canHibernateWebSocket: () => true },
});
const registry = setup({ use: { room, echo }, logLevel: "silent" });

const call = (id: number, name: string) =>
	JSON.stringify({ body: { tag: "ActionRequest", val: { id, name, args: [] } } });
const params = `rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "ann" }))}`;

describe("a wake that fails for a hibernated connection", () => {
	it.each([
		["onWake", "onWake"],
		["createVars", "createVars"],
	] as const)(
		"in %s: held actions get the error, the socket stays, the next message wakes it",
		async (_hook, hook) => {
			await using t = await setupTest(registry);
			const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=${hook}`;
			const socket = await rawSocket(url, ["rivet", "rivet_encoding.json", params]);
			await expect.poll(() => socket.decoded().length).toBe(1);
			const connectionId = socket.decoded()[0].body.val.connectionId as string;
			socket.ws.send(call(1, "me"));
			await expect.poll(() => socket.decoded().length).toBe(2);
			await t.settle();
			await t.clock.advance(1_000);
			await t.settle();
			expect(t.awakeActors()).toBe(0);

			failing[hook] = 1;
			socket.ws.send(call(2, "me"));
			socket.ws.send(call(3, "me"));
			await expect.poll(() => socket.decoded().length).toBe(4);
			for (const [index, id] of [2, 3].entries())
				expect(socket.decoded()[2 + index].body).toMatchObject({
					tag: "Error",
					val: { group: "core", code: "internal_error", actionId: id },
				});
			expect(socket.ws.readyState).toBe(socket.ws.OPEN);

			socket.ws.send(call(4, "me"));
			await expect.poll(() => socket.decoded().length).toBe(5);
			expect(socket.decoded()[4].body).toEqual({
				tag: "ActionResponse",
				val: { id: 4, output: { id: connectionId, name: "ann", wakes: 2 } },
			});
			socket.ws.close();
		},
	);

	it("a hibernated raw WebSocket stays open, and its next message wakes the actor", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/echo/websocket/?rvt-method=getOrCreate&rvt-key=raw`;
		const socket = await rawSocket(url, []);
		socket.ws.send("a");
		await expect.poll(() => socket.messages).toEqual(["echo:a:1"]);
		await t.settle();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		// A call wakes the actor, and its wake fails (the socket had nothing waiting).
		failEchoWakes = 1;
		await expect(t.client.echo.getOrCreate("raw").wakes()).rejects.toBeDefined();
		await t.settle();
		expect(socket.ws.readyState).toBe(socket.ws.OPEN);
		socket.ws.send("b");
		await expect.poll(() => socket.messages).toEqual(["echo:a:1", "echo:b:2"]);
		socket.ws.close();
	});
});
