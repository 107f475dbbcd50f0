// A streamed onRequest response whose client goes away: the body's producer is cancelled
// (its `cancel` runs and it stops), instead of the writer waiting forever for a `drain`
// while the producer keeps enqueuing into memory.
import { connect } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const seen = { cancelled: 0, enqueued: 0 };

const streamer = actor({
	state: {},
	onRequest: () => {
		let timer: ReturnType<typeof setInterval>;
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				timer = setInterval(() => {
					controller.enqueue(new Uint8Array(1024).fill(120));
					seen.enqueued++;
				}, 5);
			},
			cancel() {
				seen.cancelled++;
				clearInterval(timer);
			},
		});
		return new Response(body, { headers: { "content-type": "text/plain" } });
	},
});

describe("a streamed response whose client disconnects", () => {
	it("cancels the actor's body stream", async () => {
		await using t = await setupTest(setup({ use: { streamer }, logLevel: "silent" }));
		const url = new URL(t.url);
		const socket = connect(Number(url.port), url.hostname);
		socket.on("error", () => {});
		let received = 0;
		socket.on("data", (chunk) => {
			received += chunk.length;
		});
		socket.write(
			"GET /gateway/streamer/request/s?rvt-method=getOrCreate&rvt-key=a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		);
		await vi.waitFor(() => expect(received).toBeGreaterThan(4096), { timeout: 5000 });
		socket.destroy();
		await vi.waitFor(() => expect(seen.cancelled).toBe(1), { timeout: 5000 });
		const after = seen.enqueued;
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(seen.enqueued).toBe(after);
	});
});
