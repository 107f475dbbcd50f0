// The per-connection cap on actions in flight after a resume: the client treats the calls it
// made on the replaced socket as lost (their replies never come) and starts counting again,
// while the server still ran them; a burst right after a resume was refused with
// limit/too_many_in_flight for as many calls as the old socket left running. The old
// socket's calls now count apart, within a second allowance of the same size, so a client
// resuming again and again still cannot hold more than twice the cap running.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const MAX = 4;
let waiting: (() => void)[] = [];
const releaseAll = () => {
	for (const release of waiting.splice(0)) release();
};

const room = actor({
	state: {},
	actions: {
		hang: () => new Promise<string>((resolve) => waiting.push(() => resolve("done"))),
		ping: () => "pong",
	},
});
const registry = setup({
	use: { room },
	logLevel: "silent",
	limits: { maxInFlightActionsPerConnection: MAX },
});
const call = (id: number, name: string) =>
	JSON.stringify({ body: { tag: "ActionRequest", val: { id, name, args: [] } } });

interface Frame {
	body: {
		tag: string;
		val: { actionId?: number | null; id?: number; group?: string; code?: string };
	};
}

describe("actions in flight across a resume", () => {
	it("the replaced socket's calls leave the new socket its whole cap, up to twice the cap in all", async () => {
		waiting = [];
		// Runs last (disposables go in reverse): a failed expectation leaves no call hanging.
		await using t = await setupTest(registry);
		await using _release = { [Symbol.asyncDispose]: async () => releaseAll() };
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const token = `rivet_conn_token.${"f".repeat(40)}`;
		const open = async (connectionId?: string) => {
			const protocols = ["rivet", "rivet_encoding.json", token];
			if (connectionId !== undefined) protocols.push(`rivet_conn.${connectionId}`);
			const socket = await rawSocket(url, protocols);
			await expect.poll(() => socket.decoded().length).toBe(1);
			return socket;
		};
		const errorsOf = (socket: Awaited<ReturnType<typeof open>>) =>
			(socket.decoded() as Frame[]).filter((frame) => frame.body.tag === "Error");

		const first = await open();
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		for (let id = 1; id <= MAX; id++) first.ws.send(call(id, "hang"));
		await expect.poll(() => waiting.length).toBe(MAX);

		// Resumed: the new socket may run its own MAX at once.
		const second = await open(connectionId);
		for (let id = 1; id <= MAX; id++) second.ws.send(call(id, "hang"));
		await expect.poll(() => waiting.length).toBe(2 * MAX);
		expect(errorsOf(second)).toEqual([]);

		// Resumed again with 2 × MAX still running: the third socket waits for them.
		const third = await open(connectionId);
		third.ws.send(call(1, "ping"));
		await expect.poll(() => errorsOf(third).length).toBe(1);
		expect(errorsOf(third)[0]?.body.val).toMatchObject({
			group: "limit",
			code: "too_many_in_flight",
			actionId: 1,
		});
		expect(waiting.length).toBe(2 * MAX);

		// Once they end (their replies go nowhere), the third socket has its whole cap.
		releaseAll();
		await new Promise((resolve) => setTimeout(resolve, 50));
		for (let id = 2; id <= MAX + 1; id++) third.ws.send(call(id, "hang"));
		await expect.poll(() => waiting.length).toBe(MAX);
		expect(errorsOf(third).length).toBe(1);
		releaseAll();
		await expect
			.poll(
				() => (third.decoded() as Frame[]).filter((f) => f.body.tag === "ActionResponse").length,
			)
			.toBe(MAX);
		third.ws.close();
	});
});
