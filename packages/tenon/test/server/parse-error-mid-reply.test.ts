// Regression (a review, 2026-11-27): bytes Node cannot parse in the body of the latest request,
// whose handler had already begun a streamed reply, got their raw `400` written into the middle
// of that reply (the check for an answer already begun never ran on Tenon's own server). The
// connection is now cut instead, as Node does: a reply cut short, never one with a stray 400 in it.
import { connect } from "node:net";
import { afterEach, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const streamer = actor({
	state: {},
	actions: {},
	// Answers at once with a stream that sends one piece, then waits; the body is never read.
	onRequest: async () =>
		new Response(
			new ReadableStream({
				start(controller) {
					controller.enqueue(new TextEncoder().encode("first piece;"));
				},
			}),
			{ headers: { "content-type": "text/plain" } },
		),
});

let server: TenonServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

it("a parse error in a body whose reply is already streaming cuts the connection, with no 400 inside the reply", async () => {
	server = await setup({ use: { streamer }, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
	const url = new URL(server.url);
	const socket = connect({ port: Number(url.port), host: url.hostname });
	let received = "";
	socket.on("data", (data: Buffer) => {
		received += data.toString("latin1");
	});
	socket.on("error", () => {});
	const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	socket.write(
		`POST /gateway/streamer/request/s?rvt-method=getOrCreate&rvt-key=s HTTP/1.1\r\nhost: ${url.host}\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n4\r\nabcd\r\n`,
	);
	await expect.poll(() => received).toContain("first piece;");
	// A chunk size that is not hex: Node's parser fails inside the body.
	socket.write("zz\r\n");
	const timer = setTimeout(() => socket.destroy(), 5_000);
	await closed;
	clearTimeout(timer);
	expect(received.startsWith("HTTP/1.1 200 ")).toBe(true);
	expect(received.match(/HTTP\/1\.1 /g)?.length).toBe(1);
});
