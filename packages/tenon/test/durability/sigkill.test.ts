import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { ledgerRegistry } from "./fixtures/ledger.js";

const fixture = join(import.meta.dirname, "fixtures", "ledger-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ACTORS = ["alpha", "beta", "gamma", "delta", "epsilon"];
const KILLS = 200;

interface CrashRun {
	acknowledged: number;
	unacknowledged: number;
	lost: number;
	duplicated: number;
}

/**
 * Runs `kills` cycles: start the server, send one write per actor at once,
 * SIGKILL the server as soon as the first is acknowledged (the others still
 * in flight). Then restart and count acknowledged writes that are missing.
 */
async function crashRun(kills: number, env: Record<string, string> = {}): Promise<CrashRun> {
	const dataDir = tempDataDir("sigkill");
	dirs.push(dataDir);
	const acknowledged = new Map<string, string[]>(ACTORS.map((name) => [name, []]));
	const run: CrashRun = { acknowledged: 0, unacknowledged: 0, lost: 0, duplicated: 0 };

	for (let cycle = 0; cycle < kills; cycle++) {
		const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir, ...env });
		const client = createClient<typeof ledgerRegistry>({ endpoint: server.url, encoding: "cbor" });
		let killing: Promise<void> | undefined;
		await Promise.allSettled(
			ACTORS.map(async (name, index) => {
				const opId = `${cycle}:${name}`;
				try {
					// Stagger some writes so kills land at different points of other commits.
					if (index > 0 && cycle % 3 === index % 3) await new Promise((r) => setImmediate(r));
					await client.ledger.getOrCreate(name).apply(opId);
				} catch {
					run.unacknowledged++;
					return;
				}
				acknowledged.get(name)?.push(opId);
				run.acknowledged++;
				killing ??= server.kill();
			}),
		);
		await (killing ?? server.kill());
		await client.dispose();
	}

	const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir, ...env });
	const client = createClient<typeof ledgerRegistry>({ endpoint: server.url, encoding: "cbor" });
	for (const name of ACTORS) {
		const state = await client.ledger.getOrCreate(name).read();
		const applied = new Set(state.applied);
		run.duplicated += state.applied.length - applied.size;
		expect(state.count).toBe(state.applied.length);
		for (const opId of acknowledged.get(name) ?? []) if (!applied.has(opId)) run.lost++;
	}
	await client.dispose();
	await server.kill();
	return run;
}

describe("durability under SIGKILL (lmdb)", () => {
	it(`loses no acknowledged write when the server is killed right after an ack, ${KILLS} times`, async () => {
		const run = await crashRun(KILLS);
		console.log(
			`[durability] SIGKILLs=${KILLS} acknowledged=${run.acknowledged} unacknowledged=${run.unacknowledged} lost=${run.lost} duplicated=${run.duplicated}`,
		);
		expect(run.acknowledged).toBeGreaterThanOrEqual(KILLS);
		expect(run.lost).toBe(0);
		expect(run.duplicated).toBe(0);
	}, 300_000);

	it("detects lost writes when the output gate is off (negative control: durability relaxed)", async () => {
		const run = await crashRun(5, { TENON_TEST_DURABILITY: "relaxed" });
		console.log(`[durability/relaxed] acknowledged=${run.acknowledged} lost=${run.lost}`);
		expect(run.lost).toBeGreaterThan(0);
	}, 60_000);
});
