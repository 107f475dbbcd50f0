// Failures that ran outside any request (workflows, run handlers) count in the metrics, by
// actor, from 0 at the start; and the node says which version it runs.
import { describe, expect, it } from "vitest";
import { TENON_VERSION } from "../../src/common/version.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { scrape } from "../helpers/prometheus.js";

const ADMIN = "metrics-admin-token-0123456789";

// A workflow that failed for good showed only as a warn line (an SRE walkthrough, 2026-11-29).
describe("failed workflows", () => {
	it("count in tenon_workflows_failed_total by actor", async () => {
		const doomed = actor({
			state: { started: false },
			actions: { started: (c) => c.state.started },
			run: workflow(async (ctx) => {
				await ctx.step("mark", (c) => {
					c.state.started = true;
				});
				await ctx.step({
					name: "always-fails",
					maxRetries: 0,
					run: () => {
						throw new Error("down");
					},
				});
			}),
		});
		await using t = await setupTest(
			setup({ use: { doomed }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		const metrics = `${t.url}/metrics`;
		expect(await t.client.doomed.getOrCreate("a").started()).toBeDefined();
		await expect
			.poll(async () =>
				(await scrape(metrics, ADMIN)).value("tenon_workflows_failed_total", { actor: "doomed" }),
			)
			.toBe(1);
	});
});

// A `run` handler that kept throwing showed only as error lines, `delivered` rising with each
// restart (an operator's walkthrough, 2026-11-29).
describe("failed run handlers", () => {
	it("count in tenon_run_failures_total by actor, once per restart", async () => {
		const crashing = actor({
			state: {},
			actions: { poke: () => true },
			run: async () => {
				throw new Error("the consumer broke");
			},
		});
		await using t = await setupTest(
			setup({ use: { crashing }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		const count = async () =>
			(await scrape(`${t.url}/metrics`, ADMIN)).value("tenon_run_failures_total", {
				actor: "crashing",
			});
		// Shown at 0 from the start: a series that appeared with its first failure at 1 was
		// missed by increase() and rate() (an operator's walkthrough, 2026-11-29).
		const before = await scrape(`${t.url}/metrics`, ADMIN);
		for (const name of [
			"tenon_run_failures_total",
			"tenon_workflows_failed_total",
			"tenon_actor_wakes_total",
			"tenon_alarms_fired_total",
		])
			expect(before.samples(name, { actor: "crashing" }).map((sample) => sample.value)).toEqual([
				"0",
			]);
		expect(before.samples("tenon_queue_messages_total", { actor: "crashing" })).toHaveLength(3);
		// Which version each node runs (an operator's walkthrough, 2026-11-29: no build_info).
		expect(before.samples("tenon_build_info")).toEqual([
			{ labels: { version: TENON_VERSION, node_version: process.versions.node }, value: "1" },
		]);
		expect(await t.client.crashing.getOrCreate("a").poke()).toBe(true);
		await expect.poll(count).toBe(1);
		// Restarted after its back-off (the test server's clock): it fails again.
		await t.clock.advance(60_000);
		await expect.poll(count).toBeGreaterThanOrEqual(2);
	});
});
