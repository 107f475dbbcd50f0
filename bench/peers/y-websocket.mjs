// The reference Yjs server (@y/websocket-server, as `npx y-websocket` runs
// it): documents held in memory, nothing stored. Prints "READY <url>".
import { createServer } from "node:http";
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";

const server = createServer((_req, res) => {
	res.writeHead(200, { "content-type": "text/plain" });
	res.end("ok");
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on("connection", setupWSConnection);
server.on("upgrade", (request, socket, head) => {
	wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
});
server.listen(0, "127.0.0.1", () => {
	process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`);
});
process.once("SIGTERM", () => process.exit(0));
