// The owner check of a passed-through upgrade: a connect failure to the owner
// while an `ownerAlive` check was in flight answered the client (giveUp), but
// the check, resolving after, armed the loop again; when the owner then
// stopped beating, `abandon` called giveUp (or retry) a second time on a
// socket already answered (or already handed to the next pass-through) (a
// review, 2026-11-26). Each attempt settles once.
import { expect, it, vi } from "vitest";
import { passUpgradeThrough } from "../../src/cluster/upgrade-proxy.js";
import { FakeSocket, proxyTarget, upgradeRequest } from "./upgrade-fakes.js";

const upstreams: FakeSocket[] = [];
/** A connection to the owner that never completes (a SYN left unanswered). */
const dial = () => {
	const socket = new FakeSocket();
	upstreams.push(socket);
	return socket;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a passed-through upgrade answers the client once: no giveUp after a connect failure that raced an owner check", async () => {
	const client = new FakeSocket();
	let firstCheck: ((beating: boolean) => void) | undefined;
	let calls = 0;
	const retry = vi.fn();
	// As rejectUpgrade: the answer is written and the socket ended (not destroyed: the
	// client may keep its side open).
	const giveUp = vi.fn(() => client.end("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
	client.on("error", () => {});
	passUpgradeThrough(
		upgradeRequest,
		client,
		Buffer.alloc(0),
		proxyTarget({
			ownerAlive: () => {
				calls++;
				if (calls === 1) return new Promise<boolean>((r) => (firstCheck = r));
				return Promise.resolve(false);
			},
		}),
		retry,
		giveUp,
		dial,
	);
	// The first check, at the deadline, is in flight...
	await vi.waitFor(() => expect(firstCheck).toBeDefined(), { timeout: 3_000 });
	// ...when the connect fails: the client is answered (past the deadline: giveUp).
	const upstream = upstreams[0]!;
	upstream.emit(
		"error",
		Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
	);
	expect(giveUp).toHaveBeenCalledTimes(1);
	// The check then says the owner beats, and the next one that it does not.
	firstCheck!(true);
	await sleep(1_500);
	// Correct: the client was answered once, and the owner was not asked again.
	expect(giveUp.mock.calls.length + retry.mock.calls.length).toBe(1);
	expect(calls).toBe(1);
});
