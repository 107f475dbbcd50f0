// WakePacer: the first wake-ups of a turn start at once, later ones in the
// turns after it, first come first served; a lone one never waits.
import { describe, expect, it } from "vitest";
import { WakePacer } from "../../src/runtime/wake-pacer.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WakePacer", () => {
	it("starts a turn's first wake-ups at once and the rest a batch a turn, in order", async () => {
		const pacer = new WakePacer(3);
		const started: number[] = [];
		const done = Array.from({ length: 8 }, (_, i) =>
			pacer.run(async () => {
				started.push(i);
				return i;
			}),
		);
		expect(started).toEqual([0, 1, 2]);
		expect(pacer.waiting).toBe(5);
		await nextTurn();
		await Promise.resolve();
		expect(started).toEqual([0, 1, 2, 3, 4, 5]);
		await nextTurn();
		await Promise.resolve();
		expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
		expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
		expect(pacer.waiting).toBe(0);
	});

	it("keeps what waits, not what it released, under a load that never lets it empty", async () => {
		const pacer = new WakePacer(2);
		let started = 0;
		const start = async () => {
			started++;
		};
		// Three new wake-ups a turn, two released a turn: the queue never empties.
		for (let turn = 0; turn < 300; turn++) {
			for (let i = 0; i < 3; i++) void pacer.run(start);
			await nextTurn();
		}
		expect(pacer.waiting).toBeGreaterThan(250);
		expect(pacer.retained).toBeLessThan(pacer.waiting * 2 + 100);
		expect(started).toBeGreaterThan(550);
	});

	it("lets a lone wake-up start at once, turn after turn, and passes its failure on", async () => {
		const pacer = new WakePacer(1);
		for (let i = 0; i < 3; i++) {
			let ran = false;
			const result = pacer.run(async () => {
				ran = true;
			});
			expect(ran).toBe(true);
			await result;
			await nextTurn();
		}
		await expect(
			pacer.run(async () => {
				throw new Error("no");
			}),
		).rejects.toThrow("no");
	});
});
