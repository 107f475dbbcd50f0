// Machine floor: the least a WebSocket round trip can cost (ws echo, no work),
// and the least a fan-out can cost ("ping <at>" sends "tick <at>" to every
// socket, the same frame written to each).
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
wss.on("connection", (ws) => {
	ws.on("message", (data, isBinary) => {
		const text = isBinary ? "" : data.toString();
		if (!text.startsWith("ping ")) return ws.send(data, { binary: isBinary });
		const tick = `tick ${text.slice(5)}`;
		for (const client of wss.clients) client.send(tick);
	});
});
wss.on("listening", () => {
	const address = wss.address() as { port: number };
	process.stdout.write(`READY ws://127.0.0.1:${address.port}\n`);
});
