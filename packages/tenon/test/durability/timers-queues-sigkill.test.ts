import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { workRegistry } from "./fixtures/work.js";

const fixture = join(import.meta.dirname, "fixtures", "work-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ACTORS = ["w1", "w2", "w3"];
const CYCLES = 40;

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
		return state / 2_147_483_648;
	};
}

describe("timers and completable queue messages under SIGKILL (lmdb)", () => {
	it(`loses no acknowledged timer or message across ${CYCLES} kills`, async () => {
		const dataDir = tempDataDir("work-sigkill");
		dirs.push(dataDir);
		const next = random(42);
		const timers = new Map<string, string[]>(ACTORS.map((a) => [a, []]));
		const jobs = new Map<string, string[]>(ACTORS.map((a) => [a, []]));
		let operations = 0;

		for (let cycle = 0; cycle < CYCLES; cycle++) {
			const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
			const client = createClient<typeof workRegistry>({ endpoint: server.url, encoding: "cbor" });
			const killAfter = 1 + Math.floor(next() * 8);
			let acknowledged = 0;
			let killing: Promise<void> | undefined;
			const ops = Array.from({ length: 10 }, async (_, i) => {
				const name = ACTORS[(cycle + i) % ACTORS.length] as string;
				const handle = client.work.getOrCreate(name);
				const tag = `${cycle}:${i}`;
				try {
					// Stagger so kills hit timers and messages at many stages.
					await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 30)));
					if (i % 2 === 0) {
						await handle.arm(tag, Math.floor(next() * 200));
						timers.get(name)?.push(tag);
					} else {
						await handle.send("jobs", { id: tag });
						jobs.get(name)?.push(tag);
					}
					operations++;
				} catch {
					return; // not acknowledged: the outcome is unknown and not counted
				}
				acknowledged++;
				if (acknowledged === killAfter) killing ??= server.kill();
			});
			await Promise.allSettled(ops);
			await (killing ?? server.kill());
			await client.dispose();
		}

		// The last start runs without a kill: every acknowledged timer must fire
		// and every acknowledged message must be completed.
		const server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
		const client = createClient<typeof workRegistry>({ endpoint: server.url, encoding: "cbor" });
		const deadline = Date.now() + 30_000;
		let reports: Awaited<ReturnType<ReturnType<typeof client.work.getOrCreate>["report"]>>[] = [];
		for (;;) {
			reports = await Promise.all(ACTORS.map((name) => client.work.getOrCreate(name).report()));
			const settled = reports.every((r) => r.pendingTimers === 0 && r.queued === 0);
			if (settled || Date.now() > deadline) break;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		let timersLost = 0;
		let timerDuplicates = 0;
		let messagesLost = 0;
		let redeliveries = 0;
		let completedTwice = 0;
		ACTORS.forEach((name, index) => {
			const report = reports[index] as (typeof reports)[number];
			const fired = new Set(report.fired);
			timerDuplicates += report.fired.length - fired.size;
			for (const tag of timers.get(name) ?? []) if (!fired.has(tag)) timersLost++;
			const completed = new Set(report.completed);
			completedTwice += report.completed.length - completed.size;
			redeliveries += report.received.length - new Set(report.received).size;
			for (const tag of jobs.get(name) ?? []) if (!completed.has(tag)) messagesLost++;
		});
		await client.dispose();
		await server.kill();

		const ackedTimers = [...timers.values()].reduce((n, list) => n + list.length, 0);
		const ackedJobs = [...jobs.values()].reduce((n, list) => n + list.length, 0);
		console.log(
			`[durability/timers+queues] SIGKILLs=${CYCLES} operations=${operations} timers: acknowledged=${ackedTimers} lost=${timersLost} fired-twice=${timerDuplicates}; messages: acknowledged=${ackedJobs} lost=${messagesLost} redelivered=${redeliveries} completed-twice=${completedTwice}`,
		);
		expect(ackedTimers).toBeGreaterThan(50);
		expect(ackedJobs).toBeGreaterThan(50);
		expect(timersLost).toBe(0);
		expect(messagesLost).toBe(0);
	}, 300_000);
});
