// Cron job names were not checked for lone surrogates (KV keys and timer args
// are). A name cut from client text (`title.slice(0, 3)` of "ab😀...") ends in
// half a surrogate pair: two such names shared one stored key, so an
// acknowledged job was gone after a restart, and the name read back was
// another, so `delete(name)` found nothing (a review, 2026-11-26). Such a name
// is refused.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const poller = actor({
	state: { fired: 0 },
	actions: {
		/** A job per title, its name cut to `length` characters (on the server). */
		watch: async (c, title: string, length: number) => {
			await c.cron.every({ name: title.slice(0, length), interval: 60_000, action: "tick" });
			return (await c.cron.list()).length;
		},
		jobs: async (c) => (await c.cron.list()).map((job) => job.name),
		tick: (c) => {
			c.state.fired++;
		},
	},
});
const registry = setup({ use: { poller }, logLevel: "silent" });

describe("cron job names", () => {
	it("holding half a surrogate pair are refused; whole ones keep across a restart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.poller.getOrCreate("p");
		for (const title of ["ab😀 news", "ab𝐀 math"])
			await expect(handle.watch(title, 3)).rejects.toMatchObject({
				group: "schedule",
				code: "invalid",
			});
		expect(await handle.watch("ab😀 news", 4)).toBe(1);
		await t.restart();
		expect(await handle.jobs()).toEqual(["ab😀"]);
	});
});
