// Child-process server for the Yjs crash test: the note actor on LMDB, on
// TENON_PORT (clients reconnect to the restarted server) or a free port.
import { lmdbDriver, setup } from "../../src/index.js";
import { note } from "./fixtures.js";

const dataDir = process.env.TENON_DATA_DIR;
if (!dataDir) throw new Error("TENON_DATA_DIR is required");
const registry = setup({ use: { note }, storage: lmdbDriver({ path: dataDir }) });
const server = await registry.start({
	port: Number(process.env.TENON_PORT ?? 0),
	host: "127.0.0.1",
});
process.stdout.write(`TENON_READY ${server.url}\n`);
process.once("SIGTERM", () => {
	void server.close().then(() => process.exit(0));
});
