// Presence frames grow with the square of an actor's connections: each
// update is shown to every subscriber. One client's 100 connections, each
// within its own rate (20 updates a second), made 200,000 frames a second
// and took the whole loop (an attacker probe: 133 ms stalls). An actor's
// presence now sends at most `maxFramesPerSecond` frames, every connection
// together; past it, updates wait their turn and only intermediate values
// are lost.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type RawSocket, rawSocket } from "../helpers/raw.js";

const FRAMES_PER_SECOND = 2_000;
const room = actor({
	state: {},
	presence: { maxFramesPerSecond: FRAMES_PER_SECOND },
	actions: { ping: () => "pong" },
});
const registry = setup({ use: { room }, logLevel: "silent" });

const connectUrl = (base: string, key: string) =>
	`${base.replace("http", "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=${key}`;
const subscribePresence = JSON.stringify({
	body: { tag: "SubscriptionRequest", val: { eventName: "tenon.presence", subscribe: true } },
});
const setPresence = (id: number, data: unknown) =>
	JSON.stringify({
		body: { tag: "ActionRequest", val: { id, name: "tenon.presence", args: [data] } },
	});

/** One socket's view: its id, and what it has seen of each connection's presence. */
class Member {
	id = "";
	readonly seen = new Map<string, unknown>();
	/** Presence updates it got (snapshots apart). */
	updates = 0;
	replies = 0;
	#read = 0;

	constructor(readonly socket: RawSocket) {}

	/** Takes in the messages that arrived since the last call. */
	catchUp(): this {
		const messages = this.socket.messages;
		for (; this.#read < messages.length; this.#read++) {
			const { tag, val } = JSON.parse(messages[this.#read] as string).body;
			if (tag === "Init") this.id = val.connectionId;
			else if (tag === "ActionResponse") this.replies++;
			else if (tag === "Event" && val.name === "tenon.presence") {
				const payload = val.args[0];
				if (payload.snapshot !== undefined) {
					for (const entry of payload.snapshot) this.seen.set(entry.conn, entry.data);
				} else {
					this.updates++;
					this.seen.set(payload.conn, payload.data);
				}
			}
		}
		return this;
	}
}

async function join(url: string): Promise<Member> {
	const member = new Member(await rawSocket(url, []));
	await expect.poll(() => member.catchUp().id).not.toBe("");
	return member;
}

const caughtUp = (members: Member[]) => members.map((m) => m.catchUp());

describe("an actor's presence, updated by many connections at once", () => {
	it("sends at most its frames a second, all connections together, and everyone's latest presence in the end", async () => {
		await using t = await setupTest(registry);
		const members: Member[] = [];
		for (let i = 0; i < 40; i++) members.push(await join(connectUrl(t.url, "crowd")));
		for (const member of members) member.socket.ws.send(subscribePresence);
		members[0]?.socket.ws.send(setPresence(0, "hello"));
		await expect.poll(() => caughtUp(members).every((m) => m.seen.size === 1)).toBe(true);
		for (const member of members) member.updates = 0;

		// Every connection within its own rate (one update each 50 ms), for one second.
		const rounds = 20;
		for (let round = 1; round <= rounds; round++) {
			for (const member of members) member.socket.ws.send(setPresence(round, { round }));
			await expect
				.poll(
					() => caughtUp(members).every((m) => m.replies >= round + (m === members[0] ? 1 : 0)),
					{
						interval: 5,
					},
				)
				.toBe(true);
			await t.clock.advance(50);
		}
		const frames = caughtUp(members).reduce((sum, m) => sum + m.updates, 0);
		// Unbounded, that was 40 updates x 20 rounds x 40 receivers = 32,000 frames.
		// Bounded: a second of the rate, its burst (a tenth of a second) and one update's overdraft.
		expect(frames).toBeLessThanOrEqual(FRAMES_PER_SECOND * 1.1 + members.length);
		expect(frames).toBeGreaterThan(FRAMES_PER_SECOND * 0.8);

		// The updates that waited go out in turn: everyone ends with everyone's latest.
		for (let i = 0; i < 40; i++) await t.clock.advance(50);
		await expect
			.poll(() =>
				caughtUp(members).every((m) =>
					members.every((other) => (m.seen.get(other.id) as { round?: number })?.round === rounds),
				),
			)
			.toBe(true);
		for (const member of members) member.socket.ws.terminate();
	});
});
