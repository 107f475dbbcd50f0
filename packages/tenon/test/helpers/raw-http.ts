// A bare HTTP/1.1 client over a TCP socket: the bytes sent are exactly the
// test's (repeated headers, chunked or slow bodies, a disconnect mid-body),
// which `fetch` and `node:http` would normalize or refuse.
import { connect, type Socket } from "node:net";

/** A parsed HTTP answer. */
export interface RawAnswer {
	status: number;
	/** By lower-case name; repeated headers joined with ", ". */
	headers: Record<string, string>;
	body: Uint8Array;
}

/** How a request's body goes on the wire. */
export interface RawBody {
	/** Pieces written one at a time (`delayMs` apart). */
	chunks: readonly (string | Uint8Array)[];
	/** `chunked` transfer encoding, or a Content-Length of all the pieces (default). */
	framing?: "chunked" | "content-length";
	/** Milliseconds between pieces (a slow client). Default 0: all in one write. */
	delayMs?: number;
	/** Ends the connection after this many pieces, before the body is complete. */
	disconnectAfter?: number;
	/** The last piece waits for this (a body held open until the test lets it go). */
	holdLast?: Promise<void>;
}

const bytesOf = (piece: string | Uint8Array) =>
	typeof piece === "string" ? Buffer.from(piece, "utf8") : Buffer.from(piece);

function wire(piece: Buffer, framing: "chunked" | "content-length"): Buffer {
	if (framing === "content-length") return piece;
	return Buffer.concat([
		Buffer.from(`${piece.length.toString(16)}\r\n`),
		piece,
		Buffer.from("\r\n"),
	]);
}

/** Parses one answer from `data`, or undefined while it is incomplete. */
export function parseAnswer(data: Buffer): RawAnswer | undefined {
	const headEnd = data.indexOf("\r\n\r\n");
	if (headEnd === -1) return undefined;
	const lines = data.subarray(0, headEnd).toString("latin1").split("\r\n");
	const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1]);
	const headers: Record<string, string> = {};
	for (const line of lines.slice(1)) {
		const colon = line.indexOf(":");
		const name = line.slice(0, colon).trim().toLowerCase();
		const value = line.slice(colon + 1).trim();
		headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
	}
	let rest = data.subarray(headEnd + 4);
	if (headers["transfer-encoding"] === "chunked") {
		const parts: Buffer[] = [];
		for (;;) {
			const lineEnd = rest.indexOf("\r\n");
			if (lineEnd === -1) return undefined;
			const size = Number.parseInt(rest.subarray(0, lineEnd).toString("latin1"), 16);
			if (rest.length < lineEnd + 2 + size + 2) return undefined;
			if (size === 0) return { status, headers, body: new Uint8Array(Buffer.concat(parts)) };
			parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
			rest = rest.subarray(lineEnd + 2 + size + 2);
		}
	}
	const length = Number(headers["content-length"] ?? 0);
	if (rest.length < length) return undefined;
	return { status, headers, body: new Uint8Array(rest.subarray(0, length)) };
}

/**
 * Sends one request on a new connection and resolves with the answer, or
 * with `closed` when the connection ended without one (after a disconnect).
 */
export async function rawRequest(
	url: string,
	request: { method: string; path: string; headers: readonly (readonly [string, string])[] },
	body: RawBody,
): Promise<RawAnswer | "closed"> {
	const target = new URL(url);
	const socket: Socket = connect(Number(target.port), target.hostname);
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	const framing = body.framing ?? "content-length";
	const pieces = body.chunks.map(bytesOf);
	const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
	const head = [
		`${request.method} ${request.path} HTTP/1.1`,
		...request.headers.map(([name, value]) => `${name}: ${value}`),
		framing === "chunked" ? "transfer-encoding: chunked" : `content-length: ${total}`,
		"",
		"",
	].join("\r\n");
	let received = Buffer.alloc(0);
	const answered = new Promise<RawAnswer | "closed">((resolve) => {
		socket.on("data", (data: Buffer) => {
			received = Buffer.concat([received, data]);
			const answer = parseAnswer(received);
			if (answer !== undefined) {
				socket.destroy();
				resolve(answer);
			}
		});
		socket.once("close", () => resolve(parseAnswer(received) ?? "closed"));
	});
	const delayMs = body.delayMs ?? 0;
	if (delayMs === 0 && body.disconnectAfter === undefined && body.holdLast === undefined) {
		const whole = pieces.map((piece) => wire(piece, framing));
		if (framing === "chunked") whole.push(Buffer.from("0\r\n\r\n"));
		socket.write(Buffer.concat([Buffer.from(head, "latin1"), ...whole]));
		return answered;
	}
	socket.write(head);
	for (const [index, piece] of pieces.entries()) {
		if (body.disconnectAfter !== undefined && index >= body.disconnectAfter) {
			socket.destroy();
			return answered;
		}
		if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
		if (index === pieces.length - 1 && body.holdLast !== undefined) await body.holdLast;
		if (socket.destroyed) return answered;
		socket.write(wire(piece, framing));
	}
	if (framing === "chunked") socket.write("0\r\n\r\n");
	return answered;
}

/**
 * Sends `bytes` to the server at `url` on a new socket (ending the socket's side after them
 * when `end`) and resolves with everything received, as latin1, once the server closed it.
 */
export async function exchangeUntilClosed(url: string, bytes: string, end = true): Promise<string> {
	const target = new URL(url);
	const socket = connect({ port: Number(target.port), host: target.hostname });
	let received = "";
	socket.on("data", (data: Buffer) => {
		received += data.toString("latin1");
	});
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	if (end) socket.end(bytes);
	else socket.write(bytes);
	await new Promise<void>((resolve) => socket.once("close", () => resolve()));
	return received;
}
