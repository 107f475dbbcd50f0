// A Web `Response` written to a Node `ServerResponse` (routes other than the
// native action route, whose replies node-incoming.ts writes): its headers,
// its body as it streams, and the connection closed after it when the
// request's own body was left unread.
import type { ServerResponse } from "node:http";
import { lingerAfterAnswer } from "./lingering-close.js";
import type { NodeRequestBody } from "./request-body.js";

/**
 * Call before an answer's head goes out. A body the client is still sending
 * was refused or left unread: the connection is closed after the answer
 * rather than offered for another request, which would start in the middle
 * of that body, and lingers (lingering-close.ts).
 */

export function closeIfBodyPending(
	res: ServerResponse,
	body: NodeRequestBody | null,
	lingerMs: number,
): void {
	if (body === null || body.complete) return;
	res.setHeader("connection", "close");
	// The request's socket: a reply queued behind a pipelined one has none of its own yet.
	lingerAfterAnswer(res.req.socket, lingerMs);
}

export async function writeResponse(
	res: ServerResponse,
	response: Response,
	body: NodeRequestBody | null,
	closing: boolean,
	lingerMs: number,
): Promise<void> {
	res.statusCode = response.status;
	response.headers.forEach((value, name) => {
		// Set-Cookie values are not joined (a cookie's date has a comma): each is its own header.
		if (name !== "set-cookie") res.setHeader(name, value);
	});
	const cookies = response.headers.getSetCookie();
	if (cookies.length > 0) res.setHeader("set-cookie", cookies);
	// Decided while the server closes (a sender answered after a stop hook): no reuse.
	if (closing) res.setHeader("connection", "close");
	closeIfBodyPending(res, body, lingerMs);
	if (response.body === null) {
		res.end();
		return;
	}
	const reader = response.body.getReader();
	// The client went away: the body's producer is told (its `cancel` runs), and the
	// loop ends instead of waiting for a `drain` that never comes.
	const cancel = () => void reader.cancel().catch(ignore);
	res.once("close", cancel);
	try {
		// Node writes the headers with the first chunk: a body with nothing to send yet (events
		// a stream waits for) held them, and the client's fetch waited with it. When the first
		// chunk is not there by the next macrotask, the headers go first (a body that is there
		// still leaves with them, in one write).
		const first = reader.read();
		if ((await Promise.race([first, nextMacrotask()])) === NOT_YET) res.flushHeaders();
		for (let read = first; ; read = reader.read()) {
			const { done, value } = await read;
			if (done || res.destroyed) break;
			if (!res.write(value)) await drainedOrClosed(res);
		}
	} finally {
		res.off("close", cancel);
	}
	if (!res.destroyed) res.end();
	else void reader.cancel().catch(ignore);
}

function ignore(): void {}

const NOT_YET = Symbol("not yet");

/** Resolves with {@link NOT_YET} after the current macrotask (its I/O and microtasks). */
function nextMacrotask(): Promise<typeof NOT_YET> {
	return new Promise((resolve) => setImmediate(resolve, NOT_YET));
}

/** Resolves when `res` can take more, or is closed (a `drain` never comes then). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
	return new Promise<void>((resolve) => {
		const done = () => {
			res.off("drain", done);
			res.off("close", done);
			resolve();
		};
		res.once("drain", done);
		res.once("close", done);
	});
}
