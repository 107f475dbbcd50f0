// Regression: a timer more than ~24.8 days away overflowed Node's setTimeout,
// which then fired every millisecond (re-armed for the same far deadline):
// 15-19% CPU and a flood of TimeoutOverflowWarnings on an idle server, and
// again after every restart. A monthly cron job was enough.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { LongTimeout } from "../../src/common/long-timeout.js";
import { type ChildServer, startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { farTimersRegistry } from "./fixtures/far-timers.js";

const fixture = join(import.meta.dirname, "fixtures", "far-timers-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	// Fields after the command name (which may contain spaces) start at ")".
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	const ticks = Number(fields[11]) + Number(fields[12]);
	return ticks / 100; // USER_HZ is 100 on Linux
}

/**
 * The median of `seconds` one-second samples of the CPU seconds `server`
 * used: its steady rate, which a spinning timer raises every second (0.15 to
 * 0.19), and which a one-off burst (a GC, code compiled late) does not move.
 * The sum over 10 s was 0.31 in one CI run with no timer spinning.
 */
async function steadyCpu(server: ChildServer, seconds: number): Promise<number> {
	const pid = server.process.pid as number;
	const samples: number[] = [];
	let last = cpuSeconds(pid);
	for (let i = 0; i < seconds; i++) {
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		const now = cpuSeconds(pid);
		samples.push(now - last);
		last = now;
	}
	samples.sort((a, b) => a - b);
	return samples[Math.floor(samples.length / 2)] as number;
}

/**
 * A monthly cron expression whose next run is 40-70 days away (a plain
 * "1st of the month" job is that far only on some days of the month).
 */
function farCron(): string {
	const month = ((new Date().getUTCMonth() + 2) % 12) + 1;
	return `0 0 1 ${month} *`;
}

describe("timers far in the future", () => {
	it("leave an idle server at ~0% CPU, awake or asleep, before and after a restart", async () => {
		const dataDir = tempDataDir("far-timers");
		dirs.push(dataDir);
		let server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
		try {
			const client = createClient<typeof farTimersRegistry>({ endpoint: server.url });
			await client.sleepyPlanner.getOrCreate("a").plan(farCron());
			await client.wakefulPlanner.getOrCreate("b").plan(farCron());
			// The sleepy one sleeps after 300 ms; then both wait months.
			expect(await steadyCpu(server, 10)).toBeLessThan(0.05);
			expect(await client.sleepyPlanner.getOrCreate("a").fired()).toBe(0);
			expect(await client.wakefulPlanner.getOrCreate("b").fired()).toBe(0);
			expect(server.stderr()).not.toContain("TimeoutOverflowWarning");

			await server.kill();
			server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
			expect(await steadyCpu(server, 5)).toBeLessThan(0.05);
			expect(server.stderr()).not.toContain("TimeoutOverflowWarning");
		} finally {
			await server.stop();
		}
	}, 60_000);
});

describe("LongTimeout", () => {
	it("waits in chunks past Node's maximum delay and can be cleared", async () => {
		let fired = 0;
		const far = new LongTimeout(() => fired++, 40 * 24 * 60 * 60 * 1000);
		const soon = new LongTimeout(() => fired++, 5);
		const never = new LongTimeout(() => fired++, Number.POSITIVE_INFINITY);
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(fired).toBe(1);
		far.clear();
		never.clear();
		soon.clear();
	});
});
