// A workflow race between queue waits under SIGKILL (LMDB): each pair of
// messages reaches the race in one turn, one branch keeps its message and the
// other gives its own back in the same commit, never journaled. No message an
// action acknowledged is lost, and none is handled twice, however the kills
// fall (before 2026-11-26 the loser's message was lost even without a kill:
// a review). Nor is one dead-lettered: a losing branch took messages, and
// after a crash (careful hand-outs) their delivery counts committed before it
// gave them back, so five kills in that window set one aside (a fresh-clone
// gate, 2026-11-26); a branch now takes none while a sibling holds the race.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildServer, startChildServer, tempDataDir } from "../helpers/child-server.js";

const fixture = join(import.meta.dirname, "fixtures", "race-queue-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const KILLS = 12;

async function call(url: string, action: string, args: unknown[]): Promise<unknown> {
	const response = await fetch(
		`${url}/gateway/racer/action/${action}?rvt-method=getOrCreate&rvt-key=r1`,
		{
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ args }),
		},
	);
	if (response.status !== 200) throw new Error(`${action}: ${response.status}`);
	return ((await response.json()) as { output: unknown }).output;
}

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
		return state / 2_147_483_648;
	};
}

describe("a race between queue waits under SIGKILL (lmdb)", () => {
	it("loses no acknowledged message and handles none twice across kills (none dead-lettered)", async () => {
		const dataDir = tempDataDir("race-queue-sigkill");
		dirs.push(dataDir);
		const env = { TENON_DATA_DIR: dataDir };
		const next = random(11);
		const acknowledged: number[] = [];
		let sent = 0;
		for (let kill = 0; kill < KILLS; kill++) {
			const server = await startChildServer(fixture, env);
			let running = true;
			const sending = (async () => {
				while (running) {
					const i = sent++;
					try {
						await call(server.url, "sendPair", [i]);
						acknowledged.push(i);
					} catch {
						return; // killed
					}
				}
			})();
			// At least one pair acknowledged in each life (on a loaded machine a fixed window
			// could pass before the first answer), then a kill at a random moment after it.
			const before = acknowledged.length;
			await expect.poll(() => acknowledged.length, { timeout: 20_000 }).toBeGreaterThan(before);
			await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 240)));
			running = false;
			await server.kill();
			await sending;
		}
		// A last start without kills: the workflow drains what is stored.
		let server: ChildServer | undefined;
		try {
			server = await startChildServer(fixture, env);
			const url = server.url;
			const report = async () =>
				(await call(url, "report", [])) as { handled: string[]; size: number; dead: string[] };
			await expect.poll(async () => (await report()).size, { timeout: 20_000 }).toBe(0);
			const { handled, dead } = await report();
			const counts = new Map<string, number>();
			for (const body of handled) counts.set(body, (counts.get(body) ?? 0) + 1);
			const twice = [...counts].filter(([, count]) => count > 1).map(([body]) => body);
			const lost = acknowledged
				.flatMap((i) => [`a-${i}`, `b-${i}`])
				.filter((body) => !counts.has(body));
			expect(acknowledged.length).toBeGreaterThanOrEqual(KILLS);
			expect({ lost, twice, dead }).toEqual({ lost: [], twice: [], dead: [] });
		} finally {
			await server?.kill();
		}
	}, 180_000);
});
