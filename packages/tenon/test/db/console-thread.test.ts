// The inspector's database reads run on a worker thread (db/inspect-thread.ts).
// On the event loop, a console statement held the whole server for as long as
// it ran (up to its 2 s limit, a probe's recursive count), and one row's work
// between two checks of the limit ran for whatever it cost.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ReadOnlyQueryError } from "../../src/db/inspect.js";
import {
	WORKER_KEPT_MEMORY_BYTES,
	WORKER_SQLITE_MEMORY_BYTES,
} from "../../src/db/inspect-request.js";
import {
	InspectThread,
	MAX_FAILED_STARTS,
	MAX_WAITING,
	spawnInspectWorker,
} from "../../src/db/inspect-thread.js";
import { setupTest } from "../../src/test/index.js";
import { call, INSPECTOR_TOKEN, registry } from "../inspector/fixture.js";
import { empty } from "./console-on-loop.js";

/** A thread whose workers are kept, to watch them start and exit. */
function recordingThread(graceMs: number, idleMs: number) {
	const workers: Worker[] = [];
	const thread = new InspectThread(graceMs, idleMs, () => {
		const worker = spawnInspectWorker();
		if (worker !== undefined) workers.push(worker);
		return worker;
	});
	return { thread, workers };
}

/** The longest gap between ticks of a 10 ms interval while `work` runs. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
	let last = performance.now();
	let stallMs = 0;
	const ticker = setInterval(() => {
		const now = performance.now();
		stallMs = Math.max(stallMs, now - last);
		last = now;
	}, 10);
	try {
		const result = await work();
		return { result, stallMs: Math.max(stallMs, performance.now() - last) };
	} finally {
		clearInterval(ticker);
	}
}

/**
 * One row's work with no jump where SQLite checks the time: four LIKEs and 95
 * upper() over a 1 MiB value, as much as the console's guards let one
 * statement hold (about 0.5 s on the loop, interrupted at a 50 ms limit).
 */
const LONG_ROW = `SELECT (x LIKE p) + (x LIKE p) + (x LIKE p) + (x LIKE p) + ${Array.from({ length: 95 }, () => "length(upper(x))").join(" + ")} FROM (SELECT printf('%.*c', 1048000, 'a') AS x, '%${"a".repeat(38)}b' AS p)`;

describe("the inspector's database reads on their own thread", () => {
	it("leave the event loop free while a console statement runs to its time limit", async () => {
		const t = await setupTest(registry);
		await using _ = t;
		const notes = t.client.notes.getOrCreate("thread");
		await notes.add("a note");
		const actorId = await notes.resolve();
		const counting = call(`${t.url}/inspector/actors/${actorId}/db/query`, {
			method: "POST",
			headers: { authorization: `Bearer ${INSPECTOR_TOKEN}`, "content-type": "application/json" },
			body: JSON.stringify({
				sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
			}),
		});
		const { result, stallMs } = await longestStall(async () => {
			const added: number[] = [];
			// Actions answered while the statement runs, each within a fraction of its run.
			for (let i = 0; i < 5; i++) {
				const started = performance.now();
				await notes.add(`during ${i}`);
				added.push(performance.now() - started);
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			return { added, answer: await counting };
		});
		expect(result.answer.body).toMatchObject({ group: "inspector", code: "timeout" });
		// On the loop, the statement stalled it for its whole 2 s.
		expect(stallMs).toBeLessThan(500);
		expect(Math.max(...result.added)).toBeLessThan(500);
	}, 30_000);

	it("terminates a worker whose statement runs past its time and grace, and answers on a new one", async () => {
		const { thread, workers } = recordingThread(20, 30_000);
		try {
			// Warm: the first worker loads SQLite (and, from the sources, tsx).
			expect(
				await thread.run({ op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 30_000 }, empty),
			).toMatchObject({ rows: [[1]] });
			const started = performance.now();
			const refused = await thread
				.run({ op: "query", sql: LONG_ROW, limit: 10, timeoutMs: 20 }, empty)
				.catch((error: unknown) => error);
			const ms = performance.now() - started;
			expect(refused).toBeInstanceOf(ReadOnlyQueryError);
			expect(refused).toMatchObject({ reason: "timeout" });
			expect(ms).toBeLessThan(300);
			expect(workers).toHaveLength(1);
			await once(workers[0] as Worker, "exit");
			expect(
				await thread.run({ op: "query", sql: "SELECT 2", limit: 10, timeoutMs: 30_000 }, empty),
			).toMatchObject({ rows: [[2]] });
			expect(workers).toHaveLength(2);
		} finally {
			await thread.close();
		}
	}, 30_000);

	it("queues reads, one at a time, and stops a worker left idle", async () => {
		const { thread, workers } = recordingThread(1_000, 200);
		try {
			const answers = await Promise.all(
				[1, 2, 3].map((n) =>
					thread.run({ op: "query", sql: `SELECT ${n}`, limit: 10, timeoutMs: 30_000 }, empty),
				),
			);
			expect(answers.map((answer) => (answer as { rows: unknown[][] }).rows)).toEqual([
				[[1]],
				[[2]],
				[[3]],
			]);
			expect(workers).toHaveLength(1);
			await once(workers[0] as Worker, "exit");
		} finally {
			await thread.close();
		}
	}, 30_000);

	it(`lets ${MAX_WAITING} reads wait for their turn (holding no copy of their database), and refuses more at once`, async () => {
		const thread = new InspectThread();
		try {
			await thread.run({ op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 30_000 }, empty);
			// One runs, the others wait.
			const slow = { op: "query", sql: LONG_ROW, limit: 10, timeoutMs: 30_000 } as const;
			const waiting = Array.from({ length: MAX_WAITING + 1 }, () => thread.run(slow, empty));
			const refused = await thread.run(slow, empty).catch((error: unknown) => error);
			expect(refused).toMatchObject({ group: "limit", code: "sql_console_busy" });
			expect(await Promise.all(waiting)).toHaveLength(MAX_WAITING + 1);
		} finally {
			await thread.close();
		}
	}, 30_000);

	it("takes an answer that came while the loop was held past the read's deadline (it failed `timeout`, a review)", async () => {
		const thread = new InspectThread(100);
		try {
			await thread.run({ op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 30_000 }, empty);
			const read = thread
				.run({ op: "query", sql: "SELECT 2", limit: 10, timeoutMs: 200 }, empty)
				.then(
					(value) => ({ value }),
					(error: unknown) => ({ error }),
				);
			// Another request's work holds the loop past the deadline (200 + 100 ms).
			await new Promise((resolve) => setTimeout(resolve, 5));
			const until = performance.now() + 600;
			while (performance.now() < until);
			expect(await read).toMatchObject({ value: { rows: [[2]] } });
		} finally {
			await thread.close();
		}
	}, 30_000);

	it("copies a read's database when its turn comes, and tells it how long it waited for its turn", async () => {
		const thread = new InspectThread();
		const loaded: Record<string, { from: number; to: number }> = {};
		const loading = (name: string) => async () => {
			const from = performance.now();
			await new Promise((resolve) => setTimeout(resolve, 200));
			loaded[name] = { from, to: performance.now() };
			return empty();
		};
		const waited: Record<string, number> = {};
		try {
			await thread.run({ op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 30_000 }, empty);
			await Promise.all(
				["a", "b"].map((name) =>
					thread.run(
						{ op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 30_000 },
						loading(name),
						(ms) => {
							waited[name] = ms;
						},
					),
				),
			);
			// b's copy is not made (nor held) until a's read is done.
			expect(loaded.b?.from).toBeGreaterThanOrEqual(loaded.a?.to as number);
			// a's copy (200 ms, on the loop) is a's own time, not a wait; b waited for all of a.
			expect(waited.a).toBeLessThan(100);
			expect(waited.b).toBeGreaterThanOrEqual(190);
		} finally {
			await thread.close();
		}
	}, 30_000);

	it(`reads on the loop when a worker fails to start, and stops trying after ${MAX_FAILED_STARTS} in a row (each read failed 500, a review)`, async () => {
		let starts = 0;
		const thread = new InspectThread(1_000, 30_000, () => {
			starts++;
			return new Worker("throw new Error('cannot load SQLite here')", { eval: true });
		});
		for (let i = 0; i < MAX_FAILED_STARTS + 2; i++) {
			expect(
				await thread.run({ op: "query", sql: `SELECT ${i}`, limit: 10, timeoutMs: 2_000 }, empty),
			).toMatchObject({ rows: [[i]] });
		}
		expect(starts).toBe(MAX_FAILED_STARTS);
	}, 30_000);

	it(`ends a worker whose memory grew past ${WORKER_KEPT_MEMORY_BYTES / 1024 / 1024} MiB once it answered (it never shrinks; an idle worker kept 2 GB, a probe)`, async () => {
		const { thread, workers } = recordingThread(1_000, 30_000);
		try {
			const copies = Array.from({ length: 300 }, () => "a").join(", ");
			const big = `SELECT length(max(${copies})) FROM (SELECT printf('%.*c', 1048000, 'x') AS a)`;
			const request = { op: "query", sql: big, limit: 10, timeoutMs: 10_000 } as const;
			expect(await thread.run(request, empty)).toMatchObject({ rows: [[1048000]] });
			const worker = workers[0] as Worker;
			// A worker that exited has no thread id.
			await expect.poll(() => worker.threadId).toBe(-1);
			// The next read starts a new worker.
			const small = { op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 2_000 } as const;
			expect(await thread.run(small, empty)).toMatchObject({ rows: [[1]] });
			expect(workers).toHaveLength(2);
		} finally {
			await thread.close();
		}
	}, 30_000);

	it(`caps the worker's SQLite at ${WORKER_SQLITE_MEMORY_BYTES / 1024 / 1024} MiB: a query past it answers out of memory (it grew to 1.2 GB, a review)`, async () => {
		const { thread } = recordingThread(1_000, 30_000);
		try {
			const levels = ["c0(x) AS (SELECT 1)"];
			for (let level = 1; level <= 6; level++)
				levels.push(
					`c${level}(x) AS (SELECT ${Array.from({ length: 10 }, () => `(SELECT x FROM c${level - 1})`).join("+")})`,
				);
			const sql = `WITH ${levels.join(", ")} SELECT x FROM c6`;
			const request = { op: "query", sql, limit: 10, timeoutMs: 10_000 } as const;
			const refused = await thread.run(request, empty).catch((error: unknown) => error);
			expect(refused).toMatchObject({ reason: "sql_error" });
			expect((refused as Error).message).toMatch(/out of memory/);
			const small = { op: "query", sql: "SELECT 1", limit: 10, timeoutMs: 2_000 } as const;
			expect(await thread.run(small, empty)).toMatchObject({ rows: [[1]] });
		} finally {
			await thread.close();
		}
	}, 30_000);

	it("reads on the loop where no worker can be started, with the same refusals", async () => {
		const thread = new InspectThread(1_000, 30_000, () => undefined);
		expect(
			await thread.run({ op: "query", sql: "SELECT 3", limit: 10, timeoutMs: 2_000 }, empty),
		).toMatchObject({ rows: [[3]] });
		const refused = await thread
			.run({ op: "query", sql: "CREATE TABLE t (x)", limit: 10, timeoutMs: 2_000 }, empty)
			.catch((error: unknown) => error);
		expect(refused).toMatchObject({ reason: "read_only" });
	});
});
