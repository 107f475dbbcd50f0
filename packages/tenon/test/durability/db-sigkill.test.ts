import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import { BATCH_ROWS, type sqlLedgerRegistry } from "./fixtures/sql-ledger.js";

const fixture = join(import.meta.dirname, "fixtures", "sql-ledger-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ACTORS = ["s1", "s2", "s3"];
const KILLS = 60;

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
		return state / 2_147_483_648;
	};
}

describe("actor SQLite under SIGKILL (lmdb)", () => {
	it(`loses no acknowledged insert and leaves no partial transaction across ${KILLS} kills`, async () => {
		const dataDir = tempDataDir("db-sigkill");
		dirs.push(dataDir);
		const next = random(11);
		const inserts = new Set<string>();
		const batches = new Set<string>();
		const attemptedBatches = new Set<string>();

		for (let cycle = 0; cycle < KILLS; cycle++) {
			const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
			const client = createClient<typeof sqlLedgerRegistry>({ endpoint: server.url });
			const killAfter = 2 + Math.floor(next() * 7);
			let acknowledged = 0;
			let killing: Promise<void> | undefined;
			await Promise.allSettled(
				Array.from({ length: 9 }, async (_, i) => {
					const handle = client.sqlLedger.getOrCreate(ACTORS[i % ACTORS.length] as string);
					const op = `${cycle}:${i}`;
					// Transactions start at once; single inserts are staggered around them.
					if (i % 3 !== 0)
						await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 15)));
					try {
						if (i % 3 === 0) {
							attemptedBatches.add(op);
							await handle.batch(op);
							batches.add(op);
						} else {
							await handle.insert(op);
							inserts.add(op);
						}
					} catch {
						return; // not acknowledged: may or may not have happened
					}
					acknowledged++;
					if (acknowledged === killAfter) killing ??= server.kill();
				}),
			);
			await (killing ?? server.kill());
			await client.dispose();
		}

		const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
		const client = createClient<typeof sqlLedgerRegistry>({ endpoint: server.url });
		const rows = new Map<string, number>();
		for (const name of ACTORS) {
			for (const { op, n } of await client.sqlLedger.getOrCreate(name).counts()) rows.set(op, n);
		}
		await client.dispose();
		await server.kill();

		const lostInserts = [...inserts].filter((op) => rows.get(op) !== 1).length;
		const lostBatches = [...batches].filter((op) => rows.get(op) !== BATCH_ROWS).length;
		const partial = [...attemptedBatches].filter((op) => {
			const n = rows.get(op) ?? 0;
			return n !== 0 && n !== BATCH_ROWS;
		}).length;
		const interrupted = [...attemptedBatches].filter((op) => !batches.has(op)).length;
		console.log(
			`[durability/sqlite] SIGKILLs=${KILLS} inserts: acknowledged=${inserts.size} lost=${lostInserts}; transactions: acknowledged=${batches.size} lost=${lostBatches} interrupted=${interrupted} partial=${partial}`,
		);
		expect(inserts.size).toBeGreaterThan(100);
		expect(batches.size).toBeGreaterThan(15);
		expect(interrupted).toBeGreaterThan(0);
		expect(lostInserts).toBe(0);
		expect(lostBatches).toBe(0);
		expect(partial).toBe(0);
	}, 300_000);
});
