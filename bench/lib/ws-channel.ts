// A raw WebSocket with request ids: `request()` sends an id and resolves with
// the rest of the reply that starts with it ("<id> <value>"). Replies may come
// out of order; pipelining is allowed.
import { WebSocket } from "ws";
import { fanout, forRange } from "./workloads.js";

export interface WsChannel {
	socket: WebSocket;
	request(): Promise<string>;
	close(): Promise<void>;
}

export function openSocket(url: string): Promise<WebSocket> {
	const socket = new WebSocket(url, { perMessageDeflate: false });
	return new Promise((resolve, reject) => {
		socket.once("open", () => resolve(socket));
		socket.once("error", reject);
		socket.once("unexpected-response", (_req, res) =>
			reject(new Error(`${url}: HTTP ${res.statusCode}`)),
		);
	});
}

export async function openChannel(url: string): Promise<WsChannel> {
	const socket = await openSocket(url);
	const waiting = new Map<string, (value: string) => void>();
	let next = 0;
	socket.on("message", (data) => {
		const text = data.toString();
		const space = text.indexOf(" ");
		const id = space === -1 ? text : text.slice(0, space);
		const resolve = waiting.get(id);
		if (!resolve) return;
		waiting.delete(id);
		resolve(space === -1 ? "" : text.slice(space + 1));
	});
	const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
	socket.once("close", () => {
		for (const resolve of waiting.values()) resolve("closed");
		waiting.clear();
	});
	return {
		socket,
		request() {
			const id = String(next++);
			return new Promise((resolve) => {
				waiting.set(id, resolve);
				socket.send(id);
			});
		},
		async close() {
			socket.close();
			await closed;
		},
	};
}

/**
 * Fan-out over raw WebSockets speaking the bench's text protocol: "ping <at>"
 * on one socket makes the server send "tick <at>" to every socket at `url`.
 * Sockets open `concurrency` at a time; returns the time to the last tick, per round.
 */
export async function rawSocketFanout(
	url: string,
	connections: number,
	rounds: number,
	concurrency: number,
): Promise<number[]> {
	const sockets: WebSocket[] = [];
	await forRange(0, connections, concurrency, async () => {
		sockets.push(await openSocket(url));
	});
	try {
		return await fanout({
			subscribers: connections,
			rounds,
			onArrival: (arrived) => {
				for (const socket of sockets) {
					socket.on("message", (data) => {
						if (data.toString().startsWith("tick ")) arrived();
					});
				}
			},
			trigger: async (at) => (sockets[0] as WebSocket).send(`ping ${at}`),
		});
	} finally {
		for (const socket of sockets) socket.close();
	}
}
