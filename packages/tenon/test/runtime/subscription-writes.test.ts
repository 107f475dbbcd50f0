// A connection's subscriptions are stored in its record, written again whole
// for each change. A client toggling one subscription at its message rate,
// with 16 KiB of other names subscribed, made about 2.4 MB/s of commits (an
// audit, 2026-11-27). Subscription changes are now written at once up to
// SUBSCRIPTION_WRITES; past it they wait SUBSCRIPTION_WRITE_INTERVAL_MS, or go
// with the final save.
import { describe, expect, it } from "vitest";
import { actor, event, memoryDriver, setup } from "../../src/index.js";
import { cborDecode } from "../../src/protocol/encoding.js";
import {
	SUBSCRIPTION_WRITE_INTERVAL_MS,
	SUBSCRIPTION_WRITES,
} from "../../src/runtime/connections/conn-records.js";
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

/**
 * `times` subscribe/unsubscribe pairs of `eventName`, each pair's commit
 * finished before the next (changes made before a commit takes the record
 * are written together), then one subscribe more.
 */
async function toggle(
	t: { settle(): Promise<void> },
	socket: RawSocket,
	eventName: string,
	times: number,
): Promise<void> {
	for (let i = 0; i < times; i++) {
		socket.ws.send(subscription(eventName, true));
		socket.ws.send(subscription(eventName, false));
		await roundTrip(socket);
		await t.settle();
	}
	socket.ws.send(subscription(eventName, true));
	await roundTrip(socket);
	await t.settle();
}

describe("subscription changes", () => {
	it("of an honest client are written at once, an unsubscribe too", async () => {
		const { driver, written } = recordingDriver();
		await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }), {
			storage: driver,
		});
		const socket = await open(t.url, "honest");
		for (const [eventName, subscribe, now] of [
			["a", true, ["a"]],
			["b", true, ["a", "b"]],
			["a", false, ["b"]],
		] as const) {
			socket.ws.send(subscription(eventName, subscribe));
			await roundTrip(socket);
			await t.settle();
			// Not waiting for a timer (the server's clock stands still): a resume after a crash
			// restores them, and a client re-sends only subscribes, never an unsubscribe (a review).
			expect(written.at(-1)).toEqual(now);
		}
		socket.ws.terminate();
	});

	it("past the rate wait, and are written together at the end of the interval", async () => {
		const { driver, written } = recordingDriver();
		await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }), {
			storage: driver,
		});
		const socket = await open(t.url, "toggles");
		await roundTrip(socket);
		const opened = written.length; // the record of the new connection
		await toggle(t, socket, "b", 24);
		// 49 changes, a pair to a commit: a burst's worth written (each was a write of the
		// whole record before); the rate spent, the last subscribe waits.
		// (A write follows each change that spends the rate, however commits group them.)
		expect(written.length - opened).toBe(SUBSCRIPTION_WRITES.burst);
		// Then is written once, at the end of the interval, with those before it.
		await t.clock.advance(SUBSCRIPTION_WRITE_INTERVAL_MS);
		await t.settle();
		expect(written.length - opened).toBe(SUBSCRIPTION_WRITES.burst + 1);
		expect(written.at(-1)).toEqual(["b"]);
		socket.ws.terminate();
	});

	it("waiting for their interval go with the final save when the actor sleeps", async () => {
		const { driver, written } = recordingDriver();
		await using t = await setupTest(setup({ use: { sleepy }, logLevel: "silent" }), {
			storage: driver,
		});
		const socket = await open(t.url, "sleeps", "sleepy");
		await toggle(t, socket, "a", 20);
		// The rate is spent: the last subscribe waits.
		const before = written.length;
		// Asleep within the interval (its timer stands still): the connection hibernates with
		// what it has now.
		await t.clock.advance(600);
		await expect.poll(() => t.awakeActors()).toBe(0);
		expect(written.length).toBe(before + 1);
		expect(written.at(-1)).toEqual(["a"]);
		socket.ws.terminate();
	});
});
