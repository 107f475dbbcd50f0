// A commit's replies to one connection leave in one write: the connection
// corks its socket around the frames one durable generation releases, and
// writes a lone frame without corking (no work for the common case).
import { describe, expect, it } from "vitest";
import { ConnectionImpl, type ConnTransport } from "../../src/runtime/connections/connection.js";

/** A socket that records what the connection does with it. */
function recordingTransport(): { transport: ConnTransport; calls: string[] } {
	const calls: string[] = [];
	const transport: ConnTransport = {
		encoding: "json",
		send: (frame) => calls.push(`send ${String(frame)}`),
		cork: () => calls.push("cork"),
		uncork: () => calls.push("uncork"),
		close: () => calls.push("close"),
	};
	return { transport, calls };
}

const owner = { sendEvent: () => {}, disconnect: () => {} };

describe("releasing held frames", () => {
	it("corks the socket around the frames one generation releases, in order", () => {
		const { transport, calls } = recordingTransport();
		const conn = new ConnectionImpl(owner, "c1", {}, undefined, transport);
		conn.enqueue("a", 1, 0);
		conn.enqueue("b", 2, 0);
		conn.enqueue("c", 2, 0);
		conn.enqueue("d", 3, 0);
		expect(calls).toEqual([]);
		conn.release(2);
		expect(calls).toEqual(["cork", "send a", "send b", "send c", "uncork"]);
		calls.length = 0;
		conn.release(3);
		// One frame left: written as is.
		expect(calls).toEqual(["send d"]);
		expect(conn.hasHeldFrames).toBe(false);
	});

	it("writes a lone frame without corking, and holds what is not durable yet", () => {
		const { transport, calls } = recordingTransport();
		const conn = new ConnectionImpl(owner, "c2", {}, undefined, transport);
		conn.enqueue("a", 1, 0);
		conn.enqueue("b", 2, 0);
		conn.release(1);
		expect(calls).toEqual(["send a"]);
		expect(conn.hasHeldFrames).toBe(true);
		conn.release(1);
		expect(calls).toEqual(["send a"]);
	});

	it("uncorks even when a write throws", () => {
		const { transport, calls } = recordingTransport();
		transport.send = (frame) => {
			calls.push(`send ${String(frame)}`);
			if (frame === "b") throw new Error("socket gone");
		};
		const conn = new ConnectionImpl(owner, "c3", {}, undefined, transport);
		conn.enqueue("a", 1, 0);
		conn.enqueue("b", 1, 0);
		expect(() => conn.release(1)).toThrow("socket gone");
		expect(calls).toEqual(["cork", "send a", "send b", "uncork"]);
	});

	it("sends nothing to a closed connection", () => {
		const { transport, calls } = recordingTransport();
		const conn = new ConnectionImpl(owner, "c4", {}, undefined, transport);
		conn.enqueue("a", 1, 0);
		conn.enqueue("b", 1, 0);
		conn.closed = true;
		conn.release(1);
		expect(calls).toEqual([]);
	});
});
