// Machine floor: the least an HTTP round trip can cost (node:http, no work);
// with FLOOR_SYNC_FILE, the durable floor: one durable write before each reply.
import { createServer } from "node:http";
import { durableWriter } from "./durable-write.js";

const write = durableWriter();
const server = createServer((req, res) => {
	req.resume();
	req.on("end", () => {
		write?.();
		res.setHeader("content-type", "application/json");
		res.end('{"output":1}');
	});
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
	const address = server.address() as { port: number };
	process.stdout.write(`READY http://127.0.0.1:${address.port}\n`);
});
