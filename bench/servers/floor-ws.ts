// Machine floor: the least a WebSocket round trip can cost (ws echo, no work),
// and the least a fan-out can cost: "ping <at>" sends "tick <at>" to every
// other socket (the same frame written to each), then "pong <at>" to the
// sender, as an action's reply would. With FLOOR_SYNC_FILE (the durable
// floor), an echo waits for one durable write.
import { WebSocketServer } from "ws";
import { durableWriter } from "./durable-write.js";
import { startProbe } from "./probe.js";

const write = durableWriter();

const probe = await startProbe();
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
wss.on("connection", (ws) => {
	ws.on("message", (data, isBinary) => {
		const text = isBinary ? "" : data.toString();
		if (!text.startsWith("ping ")) {
			write?.();
			return ws.send(data, { binary: isBinary });
		}
		const at = text.slice(5);
		const tick = `tick ${at}`;
		for (const client of wss.clients) if (client !== ws) client.send(tick);
		ws.send(`pong ${at}`);
	});
});
wss.on("listening", () => {
	const address = wss.address() as { port: number };
	process.stdout.write(`READY ws://127.0.0.1:${address.port} MEMORY ${probe}\n`);
});
