// Destroying an actor deletes its data with a commit of its own. That commit
// went to the store beside the commit pipeline, not through it, so the LMDB
// commit log (one record at a time) refused the pipeline's next batch
// ("commitSync called while a commit is in flight") and every actor in that
// batch was reset, its callers answered core/internal_error (65 to 75 of
// about 500 writes in a review's run, 2026-11-26).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { actor, lmdbDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const doomed = actor({
	state: { n: 0 },
	actions: {
		write: (c) => ++c.state.n,
		destroyNow: (c) => {
			c.destroy();
		},
	},
});
const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
const registry = setup({ use: { doomed, counter }, logLevel: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("an actor destroyed while others write", () => {
	it("fails none of their writes", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "tenon-destroy-"));
		try {
			await using t = await setupTest(registry, { storage: lmdbDriver({ path: dataDir }) });
			const errors: string[] = [];
			let writes = 0;
			for (let round = 0; round < 20; round++) {
				const victim = t.client.doomed.getOrCreate(`d${round}`);
				await victim.write();
				let done = false;
				// Its data is deleted after the reply: the others keep writing over that.
				const destroying = victim.destroyNow().then(() => sleep(30));
				const writers = Array.from({ length: 3 }, async (_, i) => {
					const handle = t.client.counter.getOrCreate(`c${i}`);
					while (!done) {
						writes++;
						await handle.inc().catch((error: Error) => errors.push(error.message));
					}
				});
				await destroying;
				done = true;
				await Promise.all(writers);
			}
			expect(writes).toBeGreaterThan(60);
			expect(errors).toEqual([]);
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	}, 60_000);
});
