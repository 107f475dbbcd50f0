import {
	describeAlarmConformance,
	describeDirectoryConformance,
	describePlacementConformance,
	describeStoreConformance,
} from "tenon/test/storage-conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDriver } from "../../src/storage/drivers/postgres/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
	sqlAdmin,
} from "../helpers/postgres.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const schemas: string[] = [];
const target = {
	createDriver: async () => {
		const schema = freshSchema();
		schemas.push(schema);
		return postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 4 });
	},
	cleanup: async () => {
		for (const schema of schemas.splice(0)) await dropSchema(schema);
	},
};

describeDirectoryConformance("postgres", target);
describeStoreConformance("postgres", target);
describeAlarmConformance("postgres", target);
describePlacementConformance("postgres", {
	createDriver: async (options) => {
		const schema = schemas[schemas.length - 1] ?? freshSchema();
		if (!options.reuse) {
			const fresh = freshSchema();
			schemas.push(fresh);
			return postgresDriver({
				url: POSTGRES_URL,
				schema: fresh,
				maxConnections: 4,
				cluster: options.cluster,
			});
		}
		return postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 4,
			cluster: options.cluster,
		});
	},
	cleanup: target.cleanup,
});

describe("postgres driver specifics", () => {
	it("creates its schema once and records the version, even with concurrent starts", async () => {
		const schema = freshSchema();
		try {
			const drivers = Array.from({ length: 4 }, () =>
				postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 2 }),
			);
			const handles = await Promise.all(drivers.map((driver) => driver.open()));
			await Promise.all(handles.map((h) => h.close()));
			const [row] = await sqlAdmin().unsafe(
				`SELECT value FROM ${schema}.meta WHERE key = 'schema_version'`,
			);
			expect(row?.value).toBe("1");
		} finally {
			await dropSchema(schema);
		}
	});

	it("commits batches concurrently with lease renewal without deadlocks", async () => {
		const schema = freshSchema();
		const driver = postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 6,
			cluster: { nodeId: "busy", leaseTtlMs: 5_000, heartbeatMs: 10 },
		});
		const handles = await driver.open();
		try {
			await handles.cluster?.join("http://busy.test:1");
			const ids = Array.from({ length: 120 }, (_, i) => `d${String(i).padStart(15, "0")}`);
			const fences = new Map<string, number>();
			for (const id of ids) fences.set(id, await handles.placement.acquire(id));
			const until = Date.now() + 1_500;
			let batches = 0;
			const workers = Array.from({ length: 4 }, async (_, worker) => {
				while (Date.now() < until) {
					// Disjoint, shuffled subsets per worker, as a node's pipeline produces.
					const mine = ids.filter((_, i) => i % 4 === worker).sort(() => Math.random() - 0.5);
					const results = await handles.store.commit(
						mine.map((id) => ({
							actorId: id,
							fence: fences.get(id) as number,
							puts: [[Uint8Array.of(1), Uint8Array.of(batches % 256)]],
							deletes: [],
						})),
					);
					expect(results.every((result) => result.ok)).toBe(true);
					batches++;
				}
			});
			await Promise.all(workers);
			expect(batches).toBeGreaterThan(8);
		} finally {
			await handles.close();
			await dropSchema(schema);
		}
	});

	it("a node leaving deletes only its own row: a newer process of the same node id keeps its address, and a lost row comes back", async () => {
		// Regression (an attacker probe): a node restarted under the same id while its old
		// process was still stopping lost its row to the old one's leave, for good (the
		// heartbeat only updated it), and its peers had no address for its actors.
		const schema = freshSchema();
		const open = () =>
			postgresDriver({
				url: POSTGRES_URL,
				schema,
				maxConnections: 2,
				cluster: { nodeId: "same", leaseTtlMs: 5_000, heartbeatMs: 50 },
			}).open();
		const older = await open();
		const newer = await open();
		const address = async () => {
			const [row] = await sqlAdmin().unsafe(
				`SELECT address FROM ${schema}.nodes WHERE node_id = 'same'`,
			);
			return row?.address as string | undefined;
		};
		try {
			await older.cluster?.join("http://older.test:1");
			await newer.cluster?.join("http://newer.test:1");
			// Both heartbeat meanwhile (the older one is still stopping): the row stays the newer's.
			for (let i = 0; i < 20; i++) {
				expect(await address()).toBe("http://newer.test:1");
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			await older.cluster?.leave();
			expect(await address()).toBe("http://newer.test:1");
			await sqlAdmin().unsafe(`DELETE FROM ${schema}.nodes WHERE node_id = 'same'`);
			await expect.poll(address).toBe("http://newer.test:1");
		} finally {
			await older.close();
			await newer.close();
			await dropSchema(schema);
		}
	});

	it("refuses an invalid schema name and a missing URL with clear errors", async () => {
		expect(() => postgresDriver({ schema: "bad; drop" })).toThrow(/Invalid PostgreSQL schema name/);
		const saved = [process.env.TENON_POSTGRES_URL, process.env.DATABASE_URL];
		delete process.env.TENON_POSTGRES_URL;
		delete process.env.DATABASE_URL;
		try {
			await expect(postgresDriver().open()).rejects.toThrow(/needs a connection URL/);
		} finally {
			if (saved[0] !== undefined) process.env.TENON_POSTGRES_URL = saved[0];
			if (saved[1] !== undefined) process.env.DATABASE_URL = saved[1];
		}
	});
});
