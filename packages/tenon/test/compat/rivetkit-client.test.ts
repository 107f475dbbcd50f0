// The unmodified RivetKit client against Tenon: the test kit, a real server
// on LMDB (restarted on the same port), and a cluster node on PostgreSQL.
import { createServer } from "node:net";
import { join } from "node:path";
import { setupTest } from "../../src/test/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import {
	assertPostgresReachable,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../helpers/postgres.js";
import { compatRegistry } from "./fixtures/compat-actors.js";
import { type CompatEncoding, describeRivetKitSuite } from "./rivetkit-suite.js";

const fixture = join(import.meta.dirname, "fixtures", "compat-server.ts");
const encodings: (CompatEncoding | undefined)[] = [undefined, "cbor", "json"];

function freePort(): Promise<number> {
	return new Promise((resolve) => {
		const probe = createServer().listen(0, "127.0.0.1", () => {
			const { port } = probe.address() as { port: number };
			probe.close(() => resolve(port));
		});
	});
}

describeRivetKitSuite(
	"the test kit",
	async () => {
		const t = await setupTest(compatRegistry);
		return { url: t.url, stop: () => t.stop() };
	},
	encodings,
);

describeRivetKitSuite(
	"a server on LMDB (registry.start)",
	async () => {
		const env = { TENON_DATA_DIR: tempDataDir("compat"), TENON_PORT: String(await freePort()) };
		let server = await startChildServer(fixture, env);
		return {
			url: server.url,
			async restart() {
				await server.stop();
				server = await startChildServer(fixture, env);
			},
			stop: () => server.stop(),
		};
	},
	encodings,
);

describeRivetKitSuite(
	"a cluster node on PostgreSQL",
	async () => {
		await assertPostgresReachable();
		const schema = freshSchema();
		const server = await startChildServer(fixture, {
			TENON_POSTGRES_URL: POSTGRES_URL,
			TENON_PG_SCHEMA: schema,
		});
		return {
			url: server.url,
			async stop() {
				await server.stop();
				await dropSchema(schema);
			},
		};
	},
	encodings,
);
