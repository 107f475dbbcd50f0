// A raw WebSocket with request ids: `request()` sends an id and resolves with
// the rest of the reply that starts with it ("<id> <value>"). Replies may come
// out of order; pipelining is allowed.
import { WebSocket } from "ws";
import { type FanoutTimes, spreadFanout } from "./fanout.js";

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
 * Fan-out over raw WebSockets speaking the bench's text protocol: "ping <round>"
 * makes the server send "tick <round>" to every socket at `url`, then (the
 * floor) "pong <round>" to the sender. The trigger is a socket of the runner's
 * own; the receiving sockets are spread over `processes` processes and opened
 * `openConcurrency` at a time in each. With `probe` (the server's bench probe),
 * the server's own fan-out time is measured too.
 */
export async function rawSocketBroadcast(options: {
	url: string;
	connections: number;
	processes: number;
	rounds: number;
	openConcurrency: number;
	probe?: string;
	signal: AbortSignal;
}): Promise<FanoutTimes> {
	const socket = await openSocket(options.url);
	const waiting = new Map<number, () => void>();
	// The floor answers "pong"; workerd sends the trigger socket its "tick" too.
	socket.on("message", (data) => {
		const [kind, round] = data.toString().split(" ");
		if (kind !== "pong" && kind !== "tick") return;
		waiting.get(Number(round))?.();
		waiting.delete(Number(round));
	});
	try {
		return await spreadFanout({
			receivers: { kind: "ws", url: options.url, openConcurrency: options.openConcurrency },
			connections: options.connections,
			processes: options.processes,
			rounds: options.rounds,
			signal: options.signal,
			...(options.probe ? { probe: options.probe } : {}),
			trigger: (round) =>
				new Promise<void>((resolve) => {
					waiting.set(round, resolve);
					socket.send(`ping ${round}`);
				}),
		});
	} finally {
		socket.close();
	}
}
