// Regression: request bodies were made with `Readable.toWeb(req)`. On Node 20,
// cancelling one while the client was still sending (what a reader that
// enforces a size limit does) threw an uncaught "Invalid state: Controller is
// already closed", which ends a server process, and left the rest of the body
// unread on a keep-alive connection that then hung for the next request.
// Real server on port 0, raw sockets, so the bytes and their timing are exact.
import { connect, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const LIMIT = 1024;
/**
 * Bodies go in pieces of 1 KiB: a burst of 48 (more than a body stream
 * buffers before it pauses the request), then 40 one by one.
 */
const CHUNK_BYTES = 1024;
const BURST_CHUNKS = 48;
const TRAILING_CHUNKS = 40;

/** A macrotask: what storing a chunk (a file, a database) takes at least. */
const store = (_chunk: Uint8Array) => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Stores an upload chunk by chunk and answers 413 (cancelling the body)
 * once it passes the limit. While a chunk is being stored, the rest of the
 * client's burst fills the body stream up to its high-water mark and
 * more waits in the request: the next read resumes the request and the
 * cancel follows in the same microtask turn, the race that crashed Node 20.
 */
async function storeUpload(request: Request): Promise<Response> {
	if (request.body === null) return Response.json({ length: 0 });
	const reader = request.body.getReader();
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > LIMIT) {
			await reader.cancel();
			return new Response("too large", { status: 413 });
		}
		await store(value);
	}
	return Response.json({ length: total });
}

const uploads = actor({
	state: { n: 0 },
	actions: { count: (c, _payload: string) => ++c.state.n },
	onRequest: (_c, request) => storeUpload(request),
});

/** What a client streaming a body saw. */
interface StreamedAnswer {
	/** The response head and body as received (empty if none came). */
	received: string;
	status: number | undefined;
	/** The server ended the connection (it did not offer it for reuse). */
	closedByServer: boolean;
}

/** How the streamed body is framed: chunked, or with a (truthful) Content-Length. */
type Framing = "chunked" | "content-length";

const BODY_BYTES = (BURST_CHUNKS + TRAILING_CHUNKS) * CHUNK_BYTES;

/** One piece of the body as it goes on the wire. */
const piece = (framing: Framing) => {
	const bytes = "x".repeat(CHUNK_BYTES);
	return framing === "chunked" ? `${CHUNK_BYTES.toString(16)}\r\n${bytes}\r\n` : bytes;
};

/**
 * POSTs a body over a raw socket: the head and a burst of 48 KiB in one
 * write (the server reads it at once, more than a body stream buffers), then
 * a piece every few milliseconds, so data keeps arriving after the server
 * refused the body. Stops sending once the answer has arrived.
 */
async function streamBody(
	url: string,
	path: string,
	framing: Framing,
	headers: Record<string, string> = {},
): Promise<StreamedAnswer> {
	const target = new URL(url);
	const socket = connect(Number(target.port), target.hostname);
	let received = "";
	let closedByServer = false;
	socket.on("data", (data: Buffer) => {
		received += data.toString("latin1");
	});
	// A reset after the answer (a piece sent as the server closed) is not what is tested.
	socket.on("error", () => {});
	socket.on("end", () => {
		closedByServer = true;
	});
	const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	const framingHeader =
		framing === "chunked"
			? { "transfer-encoding": "chunked" }
			: { "content-length": String(BODY_BYTES) };
	const head = Object.entries({ host: target.host, ...framingHeader, ...headers })
		.map(([name, value]) => `${name}: ${value}\r\n`)
		.join("");
	socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${piece(framing).repeat(BURST_CHUNKS)}`);
	for (let i = 0; i < TRAILING_CHUNKS; i++) {
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (!socket.writable || received !== "") break;
		socket.write(piece(framing));
	}
	if (framing === "chunked" && socket.writable && received === "") socket.write("0\r\n\r\n");
	// The server must end a connection whose body it did not read to the end;
	// one still open after this long would be offered for reuse. Long enough
	// for a server starved of CPU on a loaded machine to answer (a 2 s limit
	// once cut an answer off: the test then saw no status at all).
	const timer = setTimeout(() => socket.destroy(), 10_000);
	await closed;
	clearTimeout(timer);
	const status = /^HTTP\/1\.1 (\d{3}) /.exec(received)?.[1];
	return {
		received,
		status: status === undefined ? undefined : Number(status),
		closedByServer,
	};
}

/**
 * The answer arrived whole: its chunked body up to the last chunk, or as many
 * bytes as its Content-Length says (action calls are answered with a length).
 */
function wholeAnswer(received: string): boolean {
	const headEnd = received.indexOf("\r\n\r\n");
	if (headEnd === -1) return false;
	const length = /\r\ncontent-length: (\d+)\r\n/i.exec(received.slice(0, headEnd + 2))?.[1];
	if (length === undefined) return received.endsWith("\r\n0\r\n\r\n");
	return received.length - (headEnd + 4) === Number(length);
}

/** Sends `request` on `socket` and resolves with the (chunked) answer once it is complete. */
function exchange(socket: Socket, request: string): Promise<string> {
	return new Promise((resolve, reject) => {
		let received = "";
		const onData = (data: Buffer) => {
			received += data.toString("latin1");
			if (!received.endsWith("\r\n0\r\n\r\n")) return;
			socket.off("data", onData);
			socket.off("close", onClose);
			resolve(received);
		};
		const onClose = () => reject(new Error(`connection closed; received: ${received}`));
		socket.on("data", onData);
		socket.once("close", onClose);
		socket.write(request);
	});
}

describe("cancelling a request body while the client is still sending it", () => {
	let server: TenonServer;
	const uncaught: unknown[] = [];
	const onUncaught = (error: unknown) => uncaught.push(error);

	beforeEach(async ({ task }) => {
		// The action body test needs the server's limit below its bodies; the raw
		// handlers' tests, above them (a raw body streams within maxHttpBodyBytes).
		const maxHttpBodyBytes = task.name.startsWith("an action body") ? LIMIT : 2 * BODY_BYTES;
		uncaught.length = 0;
		process.on("uncaughtException", onUncaught);
		server = await setup({
			use: { uploads },
			logLevel: "silent",
			limits: { maxHttpBodyBytes },
		}).start({
			port: 0,
			host: "127.0.0.1",
			storage: memoryDriver(),
			fallback: (request) =>
				new URL(request.url).pathname === "/upload" ? storeUpload(request) : undefined,
		});
	});

	afterEach(async () => {
		await server.close();
		process.off("uncaughtException", onUncaught);
	});

	/** Nothing was thrown, the refusal arrived, and the server closed the connection after it. */
	function expectRefusedAndClosed(answer: StreamedAnswer, status: number): void {
		expect(uncaught).toEqual([]);
		expect(answer.status).toBe(status);
		expect(answer.received).toMatch(/\r\nconnection: close\r\n/i);
		expect(wholeAnswer(answer.received)).toBe(true);
		expect(answer.closedByServer).toBe(true);
	}

	/** The server still serves a small body on a fresh connection, and nothing was thrown. */
	async function expectHealthy(): Promise<void> {
		const response = await fetch(`${server.url}/upload`, { method: "POST", body: "small" });
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ length: 5 });
		expect(uncaught).toEqual([]);
	}

	it("a fallback that cancels an oversized body answers 413 and closes the connection, without an uncaught error", async () => {
		for (let round = 0; round < 5; round++) {
			const answer = await streamBody(server.url, "/upload", "chunked");
			expectRefusedAndClosed(answer, 413);
			expect(answer.received).toContain("too large");
		}
		await expectHealthy();
	});

	it("an actor's onRequest that cancels an oversized body answers 413 and closes the connection, without an uncaught error", async () => {
		const path = "/gateway/uploads/request/upload?rvt-method=getOrCreate&rvt-key=u";
		for (let round = 0; round < 5; round++) {
			expectRefusedAndClosed(await streamBody(server.url, path, "chunked"), 413);
			expectRefusedAndClosed(await streamBody(server.url, path, "content-length"), 413);
		}
		await expectHealthy();
	});

	it("an action body over maxHttpBodyBytes gets message/incoming_too_long and a closed connection, without an uncaught error", async () => {
		const path = "/gateway/uploads/action/count?rvt-method=getOrCreate&rvt-key=u";
		const json = { "content-type": "application/json" };
		for (let round = 0; round < 5; round++) {
			// Streamed past the limit, and declared over it (refused before any read).
			for (const framing of ["chunked", "content-length"] as const) {
				const answer = await streamBody(server.url, path, framing, json);
				expectRefusedAndClosed(answer, 400);
				expect(answer.received).toContain('"code":"incoming_too_long"');
			}
		}
		await expectHealthy();
	});

	it("a body read to its end keeps the connection open for the next request", async () => {
		const target = new URL(server.url);
		const socket = connect(Number(target.port), target.hostname);
		await new Promise<void>((resolve) => socket.once("connect", resolve));
		try {
			const half = "y".repeat(LIMIT / 2);
			const upload = `POST /upload HTTP/1.1\r\nhost: ${target.host}\r\ntransfer-encoding: chunked\r\n\r\n${(LIMIT / 2).toString(16)}\r\n${half}\r\n${(LIMIT / 2).toString(16)}\r\n${half}\r\n0\r\n\r\n`;
			for (let round = 0; round < 3; round++) {
				const answer = await exchange(socket, upload);
				expect(answer).toMatch(/^HTTP\/1\.1 200 /);
				expect(answer).toContain(`{"length":${LIMIT}}`);
				expect(answer).not.toMatch(/\r\nconnection: close\r\n/i);
			}
		} finally {
			socket.destroy();
		}
		expect(uncaught).toEqual([]);
	});
});
