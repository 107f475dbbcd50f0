// A raw request body (onRequest) holds one of the node's body slots while it is read ahead,
// and no longer than its use (a review, 2026-11-26):
// - given back at the answer, a body that a streamed response outlived was still read ahead
//   (up to `maxHttpBodyBytes`) with no slot held: 8 of them held 128 MiB with 2 slots;
// - kept until the body ended instead, a body cut off after a finished answer held its slot
//   for as long as the rate floor allowed (Node detaches a request whose response finished),
//   and on the fetch path (registry.handler) for as long as its sender kept sending.
// Now a body the handler never started to read is dropped at the answer; one it reads is
// kept until the response is done.
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

/** An event stream that goes on for a while (until its client goes away). */
function eventStream(): Response {
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
}

const uploads = actor({
	state: {},
	onRequest: async (_c, request) => {
		const path = new URL(request.url).pathname;
		if (path === "/refuse") return new Response("sign in first", { status: 401 });
		if (path === "/ignore") return eventStream();
		if (path === "/read-refuse") {
			await request.body?.getReader().read();
			return new Response("not this one", { status: 403 });
		}
		// "/read": reads a first chunk of the body, then streams its answer.
		await request.body?.getReader().read();
		return eventStream();
	},
});
const registry = setup({
	use: { uploads },
	logLevel: "silent",
	limits: { maxConcurrentRequestBodies: 1 },
});

/** Sends `sent` of `declared` bytes (the rest never comes); resolves with the status line. */
function upload(url: URL, path: string, sockets: Socket[], declared = 1 << 20, sent = 65536) {
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
		socket.on("close", () => resolve(head || "(closed)"));
	});
	socket.write(
		`POST /gateway/uploads/request${path}?rvt-method=getOrCreate&rvt-key=a HTTP/1.1\r\n` +
			`Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
	);
	socket.write(Buffer.alloc(sent, 1));
	return status;
}

const OK = "HTTP/1.1 200 OK";
const BUSY = "HTTP/1.1 429 Too Many Requests";

describe("raw request bodies and their slots", () => {
	it("a body the handler reads keeps its slot while its response streams", async () => {
		await using t = await setupTest(registry);
		const url = new URL(t.url);
		const sockets: Socket[] = [];
		try {
			expect(await upload(url, "/read", sockets)).toBe(OK);
			expect(await upload(url, "/read", sockets)).toBe(BUSY);
			// Its response ends (the client goes away): the slot is back.
			sockets[0]?.destroy();
			await expect.poll(() => upload(url, "/read", sockets), { timeout: 5000 }).toBe(OK);
		} finally {
			for (const socket of sockets) socket.destroy();
		}
	});

	it("a body the handler never reads is dropped at the answer, its slot back", async () => {
		await using t = await setupTest(registry);
		const url = new URL(t.url);
		const sockets: Socket[] = [];
		try {
			expect(await upload(url, "/ignore", sockets)).toBe(OK);
			expect(await upload(url, "/ignore", sockets)).toBe(OK);
			expect(await upload(url, "/refuse", sockets)).toBe("HTTP/1.1 401 Unauthorized");
			expect(await upload(url, "/ignore", sockets)).toBe(OK);
		} finally {
			for (const socket of sockets) socket.destroy();
		}
	});

	it("a body read in part, then answered in full, gives its slot back with the answer", async () => {
		await using t = await setupTest(registry);
		const url = new URL(t.url);
		const sockets: Socket[] = [];
		try {
			expect(await upload(url, "/read-refuse", sockets)).toBe("HTTP/1.1 403 Forbidden");
			expect(await upload(url, "/read-refuse", sockets)).toBe("HTTP/1.1 403 Forbidden");
		} finally {
			for (const socket of sockets) socket.destroy();
		}
	});

	it("through registry.handler, a body the handler never read gives its slot back", async () => {
		const mounted = setup({
			use: { uploads },
			logLevel: "silent",
			limits: { maxConcurrentRequestBodies: 1 },
		});
		let timer: ReturnType<typeof setInterval> | undefined;
		const dripping = new ReadableStream<Uint8Array>({
			start(controller) {
				timer = setInterval(() => controller.enqueue(new Uint8Array(1000)), 20);
			},
			cancel() {
				clearInterval(timer);
			},
		});
		const at = "http://localhost/gateway/uploads/request/refuse?rvt-method=getOrCreate&rvt-key=a";
		try {
			const first = await mounted.handler(
				new Request(at, { method: "POST", body: dripping, duplex: "half" } as RequestInit),
			);
			expect(first.status).toBe(401);
			const second = await mounted.handler(new Request(at, { method: "POST", body: "small" }));
			expect(second.status).toBe(401);
		} finally {
			clearInterval(timer);
			await mounted.stop();
		}
	});
});
