// A connection's subscriptions are stored in its record, written again whole
// for each change. A client toggling one subscription at its message rate,
// with 16 KiB of other names subscribed, made about 2.4 MB/s of commits (an
// audit, 2026-11-27). Subscription changes are now written at most once per
// SUBSCRIPTION_WRITE_INTERVAL_MS, and those waiting go with the final save.
import { describe, expect, it } from "vitest";
import { actor, event, memoryDriver, setup } from "../../src/index.js";
import { cborDecode } from "../../src/protocol/encoding.js";
import { SUBSCRIPTION_WRITE_INTERVAL_MS } from "../../src/runtime/connections/conn-records.js";
import { AREA } from "../../src/storage/actor-keys.js";
import { setupTest } from "../../src/test/index.js";
import { wrapCommits } from "../helpers/controllable-storage.js";
import { plainCbor, type RawSocket, rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	events: { a: event<[]>(), b: event<[]>() },
	actions: { ping: () => "pong" },
	options: { sleepTimeout: 60_000 },
});

/** Sleeps well within the interval of subscription writes. */
const sleepy = actor({
	state: {},
	events: { a: event<[]>(), b: event<[]>() },
	actions: { ping: () => "pong" },
	options: { sleepTimeout: 300 },
});

/** The subscriptions of every connection record each commit wrote, in order. */
function recordingDriver() {
	const written: string[][] = [];
	const driver = wrapCommits(memoryDriver(), "recording", (batch, commit) => {
		for (const item of batch)
			for (const [key, value] of item.puts)
				if (key[0] === AREA.CONN)
					written.push((cborDecode(value) as { subscriptions: string[] }).subscriptions);
		return commit(batch);
	});
	return { driver, written };
}

const subscription = (eventName: string, subscribe: boolean) =>
	plainCbor.encode({ body: { tag: "SubscriptionRequest", val: { eventName, subscribe } } });

async function open(base: string, key: string, name = "room"): Promise<RawSocket> {
	const url = `${base.replace("http", "ws")}/gateway/${name}/connect?rvt-method=getOrCreate&rvt-key=${key}`;
	const socket = await rawSocket(url, ["rivet", "rivet_encoding.cbor"]);
	await expect.poll(() => socket.messages.length).toBe(1); // Init
	return socket;
}

/** A round trip on `socket`: every frame sent before it was handled. */
async function roundTrip(socket: RawSocket): Promise<void> {
	const before = socket.messages.length;
	socket.ws.send(
		plainCbor.encode({ body: { tag: "ActionRequest", val: { id: 1, name: "ping", args: [] } } }),
	);
	await expect.poll(() => socket.messages.length).toBe(before + 1);
}

describe("subscription changes", () => {
	it("are written at once, then at most once an interval, ending with the latest", async () => {
		const { driver, written } = recordingDriver();
		await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }), {
			storage: driver,
		});
		const socket = await open(t.url, "toggles");
		await roundTrip(socket);
		const opened = written.length; // the record of the new connection
		socket.ws.send(subscription("a", true));
		await roundTrip(socket);
		// The first change is written at once.
		await expect.poll(() => written.length).toBe(opened + 1);
		expect(written.at(-1)).toEqual(["a"]);
		for (let i = 0; i < 200; i++) {
			socket.ws.send(subscription("b", true));
			socket.ws.send(subscription("b", false));
		}
		socket.ws.send(subscription("b", true));
		await roundTrip(socket);
		// 401 changes within the interval (the server's clock stands still): none written yet.
		// Each was a commit of the whole record before.
		await t.settle();
		expect(written.length).toBe(opened + 1);
		// Then once, at the end of the interval, as they are now.
		await t.clock.advance(SUBSCRIPTION_WRITE_INTERVAL_MS);
		await t.settle();
		expect(written.length).toBe(opened + 2);
		expect(written.at(-1)).toEqual(["a", "b"]);
		// A change a whole interval after the last write is written at once again.
		await t.clock.advance(SUBSCRIPTION_WRITE_INTERVAL_MS);
		socket.ws.send(subscription("a", false));
		await roundTrip(socket);
		await t.settle();
		expect(written.length).toBe(opened + 3);
		expect(written.at(-1)).toEqual(["b"]);
		socket.ws.terminate();
	});

	it("waiting for their interval go with the final save when the actor sleeps", async () => {
		const { driver, written } = recordingDriver();
		await using t = await setupTest(setup({ use: { sleepy }, logLevel: "silent" }), {
			storage: driver,
		});
		const socket = await open(t.url, "sleeps", "sleepy");
		socket.ws.send(subscription("a", true));
		await roundTrip(socket);
		await expect.poll(() => written.at(-1)).toEqual(["a"]);
		socket.ws.send(subscription("a", false));
		socket.ws.send(subscription("b", true));
		await roundTrip(socket);
		const before = written.length;
		await t.settle();
		expect(written.length).toBe(before);
		// Asleep within the interval (its timer stands still): the connection hibernates with
		// what it has now.
		await t.clock.advance(600);
		await expect.poll(() => t.awakeActors()).toBe(0);
		expect(written.length).toBe(before + 1);
		expect(written.at(-1)).toEqual(["b"]);
		socket.ws.terminate();
	});
});
