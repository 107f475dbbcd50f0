// A connection resumed on a new socket gets replies only to the calls made on that socket:
// the reply to an action asked on the replaced socket went to the new one, where a client
// numbering its calls afresh took it for the answer to a new call (a review, 2026-11-26).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const slowCall = { release: () => {}, started: false, finished: false };

const room = actor({
	state: {},
	actions: {
		slow: async () => {
			await new Promise<void>((resolve) => {
				slowCall.release = resolve;
				slowCall.started = true;
			});
			slowCall.finished = true;
			return "reply-to-the-old-socket";
		},
		ping: () => "pong",
	},
});
const registry = setup({ use: { room }, logLevel: "silent" });
const call = (id: number, name: string) =>
	JSON.stringify({ body: { tag: "ActionRequest", val: { id, name, args: [] } } });

describe("replies after a resume", () => {
	it("an action asked on the replaced socket answers nobody; the new socket's calls are answered", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const token = `rivet_conn_token.${"s".repeat(40)}`;
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json", token]);
		await expect.poll(() => first.decoded().length).toBe(1);
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		first.ws.send(call(1, "slow"));
		await expect.poll(() => slowCall.started).toBe(true);
		const again = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			token,
			`rivet_conn.${connectionId}`,
		]);
		await expect.poll(() => again.decoded().length).toBe(1);
		expect(again.decoded()[0].body.val.connectionId).toBe(connectionId);
		slowCall.release();
		await expect.poll(() => slowCall.finished).toBe(true);
		again.ws.send(call(1, "ping"));
		await expect.poll(() => again.decoded().length).toBe(2);
		expect(again.decoded()[1].body).toEqual({
			tag: "ActionResponse",
			val: { id: 1, output: "pong" },
		});
		again.ws.close();
	});
});

// The presence action's reply too: its schema may be async, and a resume can land meanwhile.
const schemaGate = { release: () => {}, started: false };
const slowSchema = {
	"~standard": {
		version: 1 as const,
		vendor: "test",
		validate: async (value: unknown) => {
			await new Promise<void>((resolve) => {
				schemaGate.release = resolve;
				schemaGate.started = true;
			});
			return { value };
		},
	},
};
const lobby = actor({
	state: {},
	presence: { schema: slowSchema },
	actions: {
		slowPing: async () => {
			await new Promise((resolve) => setTimeout(resolve, 300));
			return "pong";
		},
	},
});

describe("presence replies after a resume", () => {
	it("a presence call asked on the replaced socket answers nobody on the new socket", async () => {
		await using t = await setupTest(setup({ use: { lobby }, logLevel: "silent" }));
		const url = `${t.url.replace(/^http/, "ws")}/gateway/lobby/connect?rvt-method=getOrCreate&rvt-key=r`;
		const token = `rivet_conn_token.${"p".repeat(40)}`;
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json", token]);
		await expect.poll(() => first.decoded().length).toBe(1);
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		first.ws.send(
			JSON.stringify({
				body: { tag: "ActionRequest", val: { id: 1, name: "tenon.presence", args: [{ x: 1 }] } },
			}),
		);
		await expect.poll(() => schemaGate.started).toBe(true);
		const again = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			token,
			`rivet_conn.${connectionId}`,
		]);
		await expect.poll(() => again.decoded().length).toBe(1);
		again.ws.send(call(1, "slowPing"));
		schemaGate.release();
		await expect.poll(() => again.decoded().length, { timeout: 3000 }).toBe(2);
		expect(again.decoded()[1].body).toEqual({
			tag: "ActionResponse",
			val: { id: 1, output: "pong" },
		});
		again.ws.close();
	});
});
