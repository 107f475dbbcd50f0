// A server the test scripts, to see how the client copes with one that is
// broken or hostile: raw HTTP answers, WebSocket upgrades it answers (or not)
// and the frames it sends. JSON encoding, so frames are readable text.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/** What the script does with an upgrade: accept it (a socket), or take the raw TCP socket. */
export type UpgradeScript =
	| { kind: "accept"; onSocket: (socket: WebSocket, request: IncomingMessage) => void }
	| { kind: "raw"; onSocket: (socket: Socket) => void };

export interface HostileServer extends AsyncDisposable {
	readonly url: string;
	/** How HTTP requests are answered (default: 404). */
	onRequest: (request: IncomingMessage, response: ServerResponse) => void;
	/** How upgrades are answered (default: accepted, nothing sent). */
	onUpgrade: UpgradeScript;
	/** Upgrades seen so far. */
	readonly upgrades: IncomingMessage[];
	/** Raw TCP sockets held open (destroyed at dispose). */
	readonly sockets: Set<Socket>;
	close(): Promise<void>;
}

/** A JSON frame of the connection protocol. */
export function frame(tag: string, val: unknown): string {
	return JSON.stringify({ body: { tag, val } });
}

/** Starts a hostile server on 127.0.0.1 and a random port. */
export async function startHostileServer(): Promise<HostileServer> {
	const wss = new WebSocketServer({
		noServer: true,
		handleProtocols: (offered) => (offered.has("rivet") ? "rivet" : false),
	});
	const sockets = new Set<Socket>();
	const server = createServer((request, response) => hostile.onRequest(request, response));
	server.on("connection", (socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	server.on("upgrade", (request, socket, head) => {
		hostile.upgrades.push(request);
		const script = hostile.onUpgrade;
		if (script.kind === "raw") script.onSocket(socket as Socket);
		else wss.handleUpgrade(request, socket, head, (ws) => script.onSocket(ws, request));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const close = async () => {
		for (const client of wss.clients) client.terminate();
		for (const socket of sockets) socket.destroy();
		wss.close();
		await new Promise((resolve) => server.close(resolve));
	};
	const hostile: HostileServer = {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		onRequest: (_request, response) => {
			response.statusCode = 404;
			response.end();
		},
		onUpgrade: { kind: "accept", onSocket: () => {} },
		upgrades: [],
		sockets,
		close,
		[Symbol.asyncDispose]: close,
	};
	return hostile;
}
