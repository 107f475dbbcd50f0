// A commit's replies to one connection leave the server in one write, over the
// real server path (the connection's socket as the hibernation layer holds it,
// then the Node adapter's ws socket). Regression: the corking added to the
// connection never reached the socket, because the held socket between them
// did not pass it on, and every reply cost its own write syscall. And the
// other way: the calls a Node client makes in one tick leave in one write.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

const counter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => ++c.state.count,
	},
});

const registry = setup({ use: { counter }, logLevel: "silent" });

interface WriteGeneric {
	_writeGeneric(writev: boolean, data: unknown, encoding: string, cb: unknown): unknown;
}
const socketProto = net.Socket.prototype as unknown as WriteGeneric;
const originalWriteGeneric = socketProto._writeGeneric;

afterEach(() => {
	socketProto._writeGeneric = originalWriteGeneric;
});

/**
 * Counts the writes (`write` or `writev` syscalls) of sockets whose local
 * port (the server's sockets) or remote port (its clients') is `port`.
 */
function countWrites(port: number, side: "server" | "client"): { readonly writes: number } {
	const counted = { writes: 0 };
	socketProto._writeGeneric = function (this: net.Socket, ...args) {
		if ((side === "server" ? this.localPort : this.remotePort) === port) counted.writes++;
		return originalWriteGeneric.apply(this, args);
	};
	return counted;
}

describe("replies released by one commit", () => {
	it("leave in one write per connection", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const client = createClient<typeof registry>({ endpoint: t.url, encoding: "cbor" });
		const conn = client.counter.getOrCreate("pipelined").connect();
		expect(await conn.increment()).toBe(1);

		// The first call's commit is held; the four after it run meanwhile and
		// go into the next commit, which waits for the first.
		storage.hold();
		const calls = [conn.increment()];
		await expect.poll(() => storage.held).toBe(1);
		for (let i = 0; i < 4; i++) calls.push(conn.increment());
		await turns(20);

		const writes = countWrites(Number(new URL(t.url).port), "server");
		storage.release();
		expect(await Promise.all(calls)).toEqual([2, 3, 4, 5, 6]);
		// One write for the first commit's reply, one for the four of the second
		// (without corking: one each, five).
		expect(writes.writes).toBeLessThanOrEqual(2);

		await conn.dispose();
		await client.dispose();
	});

	it("calls made in one tick leave the Node client in one write", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url, encoding: "cbor" });
		const conn = client.counter.getOrCreate("burst").connect();
		expect(await conn.increment()).toBe(1);

		const writes = countWrites(Number(new URL(t.url).port), "client");
		const calls = Array.from({ length: 8 }, () => conn.increment());
		expect(writes.writes).toBe(0); // corked until the tick ends
		expect(await Promise.all(calls)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
		expect(writes.writes).toBe(1);

		// A call on its own still leaves in the tick it was made in.
		const lone = conn.increment();
		await new Promise<void>((resolve) => process.nextTick(resolve));
		expect(writes.writes).toBe(2);
		expect(await lone).toBe(10);

		await conn.dispose();
		await client.dispose();
	});
});
