// Machine floor: the least a WebSocket round trip can cost (ws echo, no work).
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
wss.on("connection", (ws) => {
	ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => {
	const address = wss.address() as { port: number };
	process.stdout.write(`READY ws://127.0.0.1:${address.port}\n`);
});
