// A raw request body keeps its body slot after onRequest answered, until it ends (or fails,
// or its connection closes): given back at the answer, a body a streamed response outlived
// was still read ahead, up to `maxHttpBodyBytes`, with no slot held (8 of them held 128 MiB
// with 2 slots; a review, 2026-11-26).
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const events = actor({
	state: {},
	// An event stream that ignores the request body: it answers at once and streams on.
	onRequest: () => {
		let timer: ReturnType<typeof setInterval>;
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode("data: hello\n\n"));
				timer = setInterval(() => controller.enqueue(new TextEncoder().encode(": tick\n\n")), 100);
			},
			cancel() {
				clearInterval(timer);
			},
		});
		return new Response(body, { headers: { "content-type": "text/event-stream" } });
	},
});
const registry = setup({
	use: { events },
	logLevel: "silent",
	limits: { maxConcurrentRequestBodies: 2 },
});

/** Sends a request whose body never ends; resolves with the status line. */
async function unendingUpload(url: URL, sockets: Socket[]): Promise<string> {
	const socket = connect(Number(url.port), url.hostname);
	socket.on("error", () => {});
	sockets.push(socket);
	const status = new Promise<string>((resolve) => {
		let head = "";
		socket.on("data", (chunk) => {
			head += chunk.toString("latin1");
			const end = head.indexOf("\r\n");
			if (end >= 0) resolve(head.slice(0, end));
		});
	});
	socket.write(
		"POST /gateway/events/request/sse?rvt-method=getOrCreate&rvt-key=a HTTP/1.1\r\n" +
			"Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n",
	);
	socket.write(Buffer.alloc(64 * 1024, 1));
	return status;
}

describe("raw request bodies and their slots", () => {
	it("a body still arriving after the answer holds its slot: the third upload is refused", async () => {
		await using t = await setupTest(registry);
		const url = new URL(t.url);
		const sockets: Socket[] = [];
		try {
			expect(await unendingUpload(url, sockets)).toBe("HTTP/1.1 200 OK");
			expect(await unendingUpload(url, sockets)).toBe("HTTP/1.1 200 OK");
			expect(await unendingUpload(url, sockets)).toBe("HTTP/1.1 429 Too Many Requests");
			// A connection that goes gives its slot back.
			sockets[0]?.destroy();
			await expect
				.poll(async () => unendingUpload(url, sockets), { timeout: 5000 })
				.toBe("HTTP/1.1 200 OK");
		} finally {
			for (const socket of sockets) socket.destroy();
		}
	});
});
