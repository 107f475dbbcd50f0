// Regression: a connection answered before its request body was read to the end was destroyed
// the moment the answer was written, with the rest of the body unread and still arriving, so
// the kernel reset it. A client that sends its whole body before it reads (Python's
// http.client, a raw Node socket) hit the reset on its next write and never saw the 413 or
// 400 that had come before it. Such a connection now lingers: the answer and a FIN go out, the
// rest of the body is read and discarded until the client ends its side, for at most
// `limits.lingeringCloseMs`. Real server on port 0, raw sockets.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const BODY_LIMIT = 1024;
const PIECE = "x".repeat(1024);

const uploads = actor({
	state: { n: 0 },
	actions: {
		count: (c, _payload: string) => ++c.state.n,
		slow: async () => {
			await new Promise((resolve) => setTimeout(resolve, 1_500));
			return "slow";
		},
	},
	// Refuses every upload: without reading it, or (`/held`) after taking a reader and reading
	// one piece, without cancelling it.
	onRequest: async (_c, request) => {
		if (new URL(request.url).pathname.endsWith("/held") && request.body !== null)
			await request.body.getReader().read();
		return new Response("too large", { status: 413 });
	},
});

let server: TenonServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function start(
	lingeringCloseMs?: number,
	maxSocketsPerAddress?: number,
	headersTimeoutMs?: number,
): Promise<TenonServer> {
	server = await setup({
		use: { uploads },
		logLevel: "silent",
		limits: {
			maxHttpBodyBytes: BODY_LIMIT,
			...(lingeringCloseMs === undefined ? {} : { lingeringCloseMs }),
			...(maxSocketsPerAddress === undefined ? {} : { maxSocketsPerAddress }),
			...(headersTimeoutMs === undefined ? {} : { headersTimeoutMs }),
		},
		rateLimits: { limitLoopback: maxSocketsPerAddress !== undefined },
	}).start({ port: 0, host: "127.0.0.1", storage: memoryDriver() });
	return server;
}

const ACTION = "/gateway/uploads/action/count?rvt-method=getOrCreate&rvt-key=u";
const RAW = "/gateway/uploads/request/upload?rvt-method=getOrCreate&rvt-key=u";
const RAW_HELD = "/gateway/uploads/request/held?rvt-method=getOrCreate&rvt-key=u";

interface Upload {
	received: string;
	/** Errors the client's socket saw (a reset: ECONNRESET or EPIPE). */
	errors: string[];
	/** The server ended the connection (a FIN, not a reset). */
	endedByServer: boolean;
	/** When the answer's first byte arrived, and when the socket closed (ms since the start). */
	answeredAt: number | undefined;
	closedAt: number;
}

/**
 * POSTs a chunked body of 1 KiB pieces over a raw socket: 48 at once, then one every 5 ms
 * for `sendMs`, then ends its side (`malformed`: after a chunk size that is not hex). `readAfterSending` reads nothing until then (as clients
 * that send a whole body before they read do); otherwise it reads as the answer comes and
 * goes on sending after it.
 */
async function upload(
	target: TenonServer,
	path: string,
	{
		sendMs,
		readAfterSending,
		malformed = false,
	}: { sendMs: number; readAfterSending: boolean; malformed?: boolean },
): Promise<Upload> {
	const url = new URL(target.url);
	// Half-open allowed: the server's FIN does not end the client's side (it goes on sending).
	const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
	const began = performance.now();
	const result: Upload = {
		received: "",
		errors: [],
		endedByServer: false,
		answeredAt: undefined,
		closedAt: 0,
	};
	socket.on("data", (data: Buffer) => {
		result.answeredAt ??= performance.now() - began;
		result.received += data.toString("latin1");
	});
	socket.on("error", (error: NodeJS.ErrnoException) => result.errors.push(error.code ?? "error"));
	socket.on("end", () => {
		result.endedByServer = true;
	});
	const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	if (readAfterSending) socket.pause();
	const piece = `${PIECE.length.toString(16)}\r\n${PIECE}\r\n`;
	socket.write(
		`POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${malformed ? "zz\r\n" : ""}${piece.repeat(48)}`,
	);
	while (performance.now() - began < sendMs && !socket.destroyed) {
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (!socket.destroyed) socket.write(piece);
	}
	if (!socket.destroyed) socket.end("0\r\n\r\n");
	socket.resume();
	const timer = setTimeout(() => socket.destroy(), 10_000);
	await closed;
	clearTimeout(timer);
	result.closedAt = performance.now() - began;
	return result;
}

function status(received: string): number | undefined {
	const match = /^HTTP\/1\.1 (\d{3}) /.exec(received);
	return match === null ? undefined : Number(match[1]);
}

/** The status of every answer in `received`, in order. */
function statusesOf(received: string): (string | undefined)[] {
	return [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);
}

describe("an answer to a body still being sent", () => {
	for (const { what, path, malformed, answer, contains } of [
		{
			what: "action over the body limit",
			path: ACTION,
			answer: 400,
			contains: '"code":"incoming_too_long"',
		},
		{ what: "a raw handler that refuses it unread", path: RAW, answer: 413, contains: "too large" },
		{ what: "a raw handler that read part of it and refuses it", path: RAW_HELD, answer: 413 },
		{ what: "a body Node cannot parse", path: RAW, malformed: true, answer: 400 },
	]) {
		it(`reaches a client that reads only after sending its whole body (${what}: ${answer})`, async () => {
			const target = await start();
			for (let round = 0; round < 3; round++) {
				const result = await upload(target, path, {
					sendMs: 250,
					readAfterSending: true,
					malformed: malformed === true,
				});
				expect(result.errors).toEqual([]);
				expect(status(result.received)).toBe(answer);
				if (contains !== undefined) expect(result.received).toContain(contains);
				expect(result.received).toMatch(/\r\nconnection: close\r\n/i);
				expect(result.endedByServer).toBe(true);
			}
		});
	}
	it("does not serve a request sent on the connection after the answer that closes it", async () => {
		const target = await start();
		const url = new URL(target.url);
		const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
		await new Promise<void>((resolve) => socket.once("connect", resolve));
		let received = "";
		const answered = new Promise<void>((resolve) =>
			socket.on("data", (data: Buffer) => {
				received += data.toString("latin1");
				if (received.includes("\r\n\r\n")) resolve();
			}),
		);
		socket.on("error", () => {});
		const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
		const piece = `${PIECE.length.toString(16)}\r\n${PIECE}\r\n`;
		const json = "content-type: application/json\r\n";
		socket.write(
			`POST ${ACTION} HTTP/1.1\r\nhost: ${url.host}\r\n${json}transfer-encoding: chunked\r\n\r\n${piece.repeat(4)}`,
		);
		await answered;
		expect(status(received)).toBe(400);
		// The body's end, then a call that must not run: its connection was answered with
		// `Connection: close` (it would have run unanswered, and run again when retried).
		const call = JSON.stringify({ args: ["pipelined"] });
		socket.end(
			`0\r\n\r\nPOST ${ACTION} HTTP/1.1\r\nhost: ${url.host}\r\n${json}content-length: ${call.length}\r\n\r\n${call}`,
		);
		await closed;
		expect(received).not.toContain('"output"');
		const response = await fetch(`${target.url}${ACTION}`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ args: ["fresh"] }),
		});
		expect(await response.json()).toEqual({ output: 1 });
	});

	for (const [what, malformed] of [
		["a body over the limit", false],
		["a body Node cannot parse", true],
	] as const) {
		it(`closes at the latest lingeringCloseMs after the answer when the client never stops sending (${what})`, async () => {
			const lingerMs = 400;
			const target = await start(lingerMs);
			const result = await upload(target, ACTION, {
				sendMs: 4_000,
				readAfterSending: false,
				malformed,
			});
			expect(status(result.received)).toBe(400);
			const answeredAt = result.answeredAt ?? Number.NaN;
			// Closed by the server while the client was still sending (its writes then fail).
			expect(result.closedAt).toBeLessThan(3_000);
			expect(result.closedAt - answeredAt).toBeGreaterThanOrEqual(lingerMs - 50);
			// The server serves on.
			const response = await fetch(`${target.url}${ACTION}`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ args: ["small"] }),
			});
			expect(await response.json()).toEqual({ output: 1 });
		});
	}

	it("does not hold up the server's close", async () => {
		const target = await start(10_000);
		const uploading = upload(target, ACTION, { sendMs: 8_000, readAfterSending: false });
		// By then answered and lingering (on a loaded machine perhaps not yet: the close is timed all the same).
		await new Promise((resolve) => setTimeout(resolve, 200));
		const closing = performance.now();
		await target.close();
		server = undefined;
		expect(performance.now() - closing).toBeLessThan(2_000);
		const result = await uploading;
		expect(status(result.received)).toBe(400);
		expect(result.closedAt).toBeLessThan(6_000);
	});

	it("with lingeringCloseMs 0, closes at once after the answer", async () => {
		const target = await start(0);
		const result = await upload(target, ACTION, { sendMs: 4_000, readAfterSending: false });
		expect(status(result.received)).toBe(400);
		expect(result.closedAt - (result.answeredAt ?? Number.NaN)).toBeLessThan(300);
	});
});

/**
 * Writes `bytes` on a raw socket that never ends its side (and is left open); resolves with
 * what arrived once the server ended its side (or after 5 s).
 */
async function exchangeHalfOpen(target: TenonServer, bytes: string): Promise<string> {
	const url = new URL(target.url);
	const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
	held.push(socket);
	let received = "";
	socket.on("data", (data: Buffer) => {
		received += data.toString("latin1");
	});
	socket.on("error", () => {});
	const ended = new Promise<void>((resolve) => {
		socket.once("end", () => resolve());
		socket.once("close", () => resolve());
		setTimeout(resolve, 5_000);
	});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	socket.write(bytes.replaceAll("HOST", url.host));
	await ended;
	return received;
}

/** Sockets the tests leave open, as a client that never closes would. */
const held: import("node:net").Socket[] = [];
afterEach(() => {
	for (const socket of held.splice(0)) socket.destroy();
});

describe("answers on a connection that ends", () => {
	const call = JSON.stringify({ args: ["x"] });
	const callBytes = (extraHeaders = "") =>
		`POST ${ACTION} HTTP/1.1\r\nhost: HOST\r\ncontent-type: application/json\r\n${extraHeaders}content-length: ${call.length}\r\n\r\n${call}`;

	it("a call followed by bytes Node cannot parse is answered before the 400 (a 400 first was read as the call's answer)", async () => {
		const target = await start(300);
		const received = await exchangeHalfOpen(target, `${callBytes()}${callBytes()}GARBAGE\r\n\r\n`);
		const statuses = statusesOf(received);
		expect(statuses).toEqual(["200", "200", "400"]);
		expect(received).toContain('{"output":1}');
		expect(received).toContain('{"output":2}');
	});

	it("a call followed by a request whose body cannot be parsed is answered before that request's 400", async () => {
		const target = await start(300);
		const bad = `POST ${ACTION} HTTP/1.1\r\nhost: HOST\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n`;
		const received = await exchangeHalfOpen(target, `${callBytes()}${bad}`);
		const statuses = statusesOf(received);
		expect(statuses).toEqual(["200", "400"]);
		expect(received).toContain('{"output":1}');
	});

	it("an upgrade pipelined behind a call is refused after the call's answer (it crashed the server, went out ahead of the answer, or lost it)", async () => {
		const target = await start(300);
		const uncaught: unknown[] = [];
		const onUncaught = (error: unknown) => uncaught.push(error);
		process.on("uncaughtException", onUncaught);
		try {
			for (const upgrade of [
				"GET /health HTTP/1.1\r\nhost: HOST\r\nupgrade: h2c\r\nconnection: Upgrade\r\n\r\n",
				"GET /nope HTTP/1.1\r\nhost: HOST\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
			]) {
				const received = await exchangeHalfOpen(target, `${callBytes()}${upgrade}`);
				// The call's answer, then the upgrade's refusal (dropped at once, the call's answer was lost).
				const statuses = statusesOf(received);
				expect(statuses).toEqual(["200", "400"]);
				expect(received).toMatch(/\{"output":\d\}/);
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
			expect(uncaught).toEqual([]);
			expect((await fetch(`${target.url}/health`)).status).toBe(200);
		} finally {
			process.off("uncaughtException", onUncaught);
		}
	});

	it("a request completed after the 408 that waits for a reply in flight is not served", async () => {
		const target = await start(300, undefined, 400);
		const slow = JSON.stringify({ args: [] });
		const url = new URL(target.url);
		const slowCall = `POST ${ACTION.replace("/count", "/slow")} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${slow.length}\r\n\r\n${slow}`;
		const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
		held.push(socket);
		let received = "";
		socket.on("data", (data: Buffer) => {
			received += data.toString("latin1");
		});
		socket.on("error", () => {});
		await new Promise<void>((resolve) => socket.once("connect", resolve));
		const late = callBytes().replaceAll("HOST", url.host);
		const cut = late.indexOf("content-length");
		// The slow call, then a request whose headers stop halfway, past headersTimeoutMs.
		socket.write(`${slowCall}${late.slice(0, cut)}`);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		socket.write(late.slice(cut));
		await new Promise<void>((resolve) => {
			socket.once("end", () => resolve());
			socket.once("close", () => resolve());
			setTimeout(resolve, 5_000);
		});
		const statuses = statusesOf(received);
		expect(statuses).toEqual(["200", "408"]);
		const response = await fetch(`${target.url}${ACTION}`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: call,
		});
		expect(await response.json()).toEqual({ output: 1 });
	});

	it("a call sent with Connection: close and followed by more bytes still gets its answer", async () => {
		const target = await start(300);
		const received = await exchangeHalfOpen(target, `${callBytes("connection: close\r\n")}X`);
		expect(received).toMatch(/^HTTP\/1\.1 200 /);
		expect(received).toContain('{"output":1}');
	});

	for (const [what, request] of [
		[
			"a request offering an h2c upgrade",
			"GET /health HTTP/1.1\r\nhost: HOST\r\nupgrade: h2c\r\nconnection: Upgrade\r\n\r\n",
		],
		[
			"a refused WebSocket upgrade",
			"GET /nope HTTP/1.1\r\nhost: HOST\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		],
	] as const) {
		it(`lets go of ${what} within lingeringCloseMs after its answer, though the client keeps its side open`, async () => {
			// One connection per address: the next one is taken only once the server let go of this one.
			const target = await start(300, 1);
			expect(await exchangeHalfOpen(target, request)).toMatch(/^HTTP\/1\.1 \d{3} /);
			const began = performance.now();
			let answer = "";
			while (!answer.startsWith("HTTP/1.1 200") && performance.now() - began < 5_000) {
				answer = await exchangeHalfOpen(
					target,
					"GET /health HTTP/1.1\r\nhost: HOST\r\nconnection: close\r\n\r\n",
				);
				if (!answer.startsWith("HTTP/1.1 200"))
					await new Promise((resolve) => setTimeout(resolve, 50));
			}
			expect(answer).toMatch(/^HTTP\/1\.1 200 /);
			expect(performance.now() - began).toBeLessThan(3_000);
		});
	}
});
