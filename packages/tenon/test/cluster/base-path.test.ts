// A cluster whose registry is mounted under a base path (`basePath`), and
// nodes that advertise an address ending in `/` (a review, 2026-11-26): peer
// notices and connection links were sent without the base path (or with
// `//`), the owner answered 404, and hibernated connections stopped
// following their actor; actor-to-actor calls (`c.client()`) failed with "No
// route" under a base path, on a single node too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, event, postgresDriver, setup } from "../../src/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
	untilLeasesReleased,
} from "../helpers/postgres.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const BASE = "/api/tenon";

/** How an actor of the registry calls the lounge (its own registry's type is circular there). */
type LoungeClient = {
	lounge: {
		getOrCreate(
			key: string,
			options: { params: { name: string } },
		): { say(text: string): Promise<string> };
	};
};
type Registry = ReturnType<typeof makeRegistry>;

function makeRegistry(schema: string, nodeId: string, basePath = BASE) {
	const lounge = actor({
		state: { said: [] as string[] },
		createConnState: (_c, params: { name: string }) => ({ name: params.name }),
		events: { said: event<{ text: string; node: string }>() },
		actions: {
			say: (c, text: string) => {
				c.state.said.push(text);
				c.broadcast("said", { text, node: nodeId });
				return nodeId;
			},
		},
		options: { sleepTimeout: 300 },
	});
	const caller = actor({
		state: {},
		actions: {
			// An actor-to-actor call (c.client()).
			relay: async (c, key: string, text: string) =>
				await (c.client() as unknown as LoungeClient).lounge
					.getOrCreate(key, { params: { name: "relay" } })
					.say(text),
		},
	});
	return setup({
		use: { lounge, caller },
		...(basePath === "" ? {} : { basePath }),
		logLevel: "silent",
		storage: postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 5,
			cluster: { nodeId, leaseTtlMs: 1_000, heartbeatMs: 250 },
		}),
	});
}

describe("a cluster under a base path", () => {
	it("a hibernated connection follows its actor to another node (as without basePath)", async () => {
		const schema = freshSchema();
		const a = makeRegistry(schema, "bp-a");
		const b = makeRegistry(schema, "bp-b");
		const serverA = await a.start({ port: 0, host: "127.0.0.1" });
		const serverB = await b.start({ port: 0, host: "127.0.0.1" });
		const clientA = createClient<Registry>({ endpoint: `${serverA.url}${BASE}` });
		const clientB = createClient<Registry>({ endpoint: `${serverB.url}${BASE}` });
		try {
			const conn = clientA.lounge.getOrCreate("room", { params: { name: "ann" } }).connect();
			const heard: string[] = [];
			conn.on("said", (event: { text: string }) => heard.push(event.text));
			expect(await conn.say("one")).toBe("bp-a");
			await untilLeasesReleased(schema); // sleeps on A; A holds the socket
			expect(
				await clientB.lounge.getOrCreate("room", { params: { name: "http" } }).say("from b"),
			).toBe("bp-b");
			// The event reaches the hibernated connection through a link from A.
			await expect.poll(() => heard, { timeout: 3_000 }).toContain("from b");
			expect(await conn.say("two")).toBe("bp-b");
			await conn.dispose();
		} finally {
			await clientA.dispose();
			await clientB.dispose();
			await serverA.close();
			await serverB.close();
			await dropSchema(schema);
		}
	}, 60_000);

	it("an actor-to-actor call works under basePath", async () => {
		const schema = freshSchema();
		const a = makeRegistry(schema, "bp-c");
		const serverA = await a.start({ port: 0, host: "127.0.0.1" });
		const clientA = createClient<Registry>({ endpoint: `${serverA.url}${BASE}` });
		try {
			expect(await clientA.caller.getOrCreate("c").relay("room2", "hi")).toBe("bp-c");
		} finally {
			await clientA.dispose();
			await serverA.close();
			await dropSchema(schema);
		}
	}, 60_000);

	it("a hibernated connection follows its actor when --advertise ends with a slash", async () => {
		const schema = freshSchema();
		const a = makeRegistry(schema, "sl-a", "");
		const b = makeRegistry(schema, "sl-b", "");
		const { createServer } = await import("node:net");
		// Free ports, so each node can advertise its own address with a trailing slash.
		const freePort = () =>
			new Promise<number>((resolve) => {
				const probe = createServer();
				probe.listen(0, "127.0.0.1", () => {
					const port = (probe.address() as { port: number }).port;
					probe.close(() => resolve(port));
				});
			});
		const portA = await freePort();
		const portB = await freePort();
		const serverA = await a.start({
			port: portA,
			host: "127.0.0.1",
			advertise: `http://127.0.0.1:${portA}/`,
		});
		const serverB = await b.start({
			port: portB,
			host: "127.0.0.1",
			advertise: `http://127.0.0.1:${portB}/`,
		});
		const clientA = createClient<Registry>({ endpoint: serverA.url });
		const clientB = createClient<Registry>({ endpoint: serverB.url });
		try {
			const conn = clientA.lounge.getOrCreate("room", { params: { name: "ann" } }).connect();
			const heard: string[] = [];
			conn.on("said", (event: { text: string }) => heard.push(event.text));
			expect(await conn.say("one")).toBe("sl-a");
			await untilLeasesReleased(schema);
			expect(
				await clientB.lounge.getOrCreate("room", { params: { name: "http" } }).say("from b"),
			).toBe("sl-b");
			await expect.poll(() => heard, { timeout: 3_000 }).toContain("from b");
			expect(await conn.say("two")).toBe("sl-b");
			await conn.dispose();
		} finally {
			await clientA.dispose();
			await clientB.dispose();
			await serverA.close();
			await serverB.close();
			await dropSchema(schema);
		}
	}, 60_000);
});
