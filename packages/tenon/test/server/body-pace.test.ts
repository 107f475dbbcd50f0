// The pace floor on request bodies, through the Web `Request` path (the Node
// adapter's is in security/limits.test.ts): a body that drips ends with
// request/body_too_slow once its grace is over; a steady one is read whole.

import { expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import { BodyReader } from "../../src/server/http-util.js";

/** A request whose body sends `piece` every `everyMs`, `count` times. */
function dripping(piece: string, everyMs: number, count: number): Request {
	let sent = 0;
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			await new Promise((resolve) => setTimeout(resolve, everyMs));
			if (sent++ === count) controller.close();
			else controller.enqueue(new TextEncoder().encode(piece));
		},
	});
	return new Request("http://localhost/x", { method: "POST", body, duplex: "half" } as RequestInit);
}

const reader = () =>
	new BodyReader({
		...DEFAULT_LIMITS,
		maxHttpBodyBytes: 1 << 20,
		maxConcurrentRequestBodies: 4,
		maxConcurrentRequestBodiesPerAddress: 4,
		minRequestBodyBytesPerSecond: 1_000,
		requestBodyGraceMs: 200,
	});

it("ends a body slower than the floor with request/body_too_slow, and frees its slot", async () => {
	const bodies = reader();
	const started = performance.now();
	await expect(bodies.read(dripping(" ", 50, 1_000), undefined)).rejects.toMatchObject({
		group: "request",
		code: "body_too_slow",
	});
	expect(performance.now() - started).toBeLessThan(2_000);
	// A steady body on the same reader: 1,000 bytes every 50 ms is 20,000 B/s.
	const steady = await bodies.read(dripping("x".repeat(1_000), 50, 10), undefined);
	expect(steady.byteLength).toBe(10_000);
});
