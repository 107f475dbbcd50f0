// `setupTest` had no log level of its own: a test had to set one in the
// registry's `setup`, and every start logged at the registry's level (a docs
// walkthrough, 2026-11-28).
import { afterEach, expect, it, vi } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const noisy = actor({
	state: {},
	actions: {
		warn: (c) => {
			c.log.warn("a warning from the actor");
		},
	},
});
const registry = setup({ use: { noisy }, logLevel: "warn" });

afterEach(() => {
	vi.restoreAllMocks();
});

/** What the logger wrote to stdout and stderr while `run` ran. */
async function written(run: () => Promise<void>): Promise<string> {
	let text = "";
	const take = (chunk: unknown) => {
		text += String(chunk);
		return true;
	};
	vi.spyOn(process.stdout, "write").mockImplementation(take);
	vi.spyOn(process.stderr, "write").mockImplementation(take);
	try {
		await run();
	} finally {
		vi.restoreAllMocks();
	}
	return text;
}

it("takes a log level over the registry's", async () => {
	const quiet = await written(async () => {
		await using t = await setupTest(registry, { logLevel: "silent" });
		await t.client.noisy.getOrCreate("a").warn();
	});
	expect(quiet).not.toContain("a warning from the actor");
	const loud = await written(async () => {
		await using t = await setupTest(registry);
		await t.client.noisy.getOrCreate("a").warn();
	});
	expect(loud).toContain("a warning from the actor");
});

// Every test printed the server's start lines at info ("tenon listening",
// "management API disabled"): without a level anywhere, the test kit's is warn.
it("prints no start lines by default, and warnings still", async () => {
	const env = process.env.TENON_LOG_LEVEL;
	delete process.env.TENON_LOG_LEVEL;
	try {
		const text = await written(async () => {
			await using t = await setupTest(setup({ use: { noisy } }));
			await t.client.noisy.getOrCreate("a").warn();
		});
		expect(text).not.toContain("tenon listening");
		expect(text).toContain("a warning from the actor");
		// The registry's own default level decides when it has one (a review).
		const chatty = await written(async () => {
			await using _t = await setupTest(setup({ use: { noisy }, logLevels: { default: "info" } }));
		});
		expect(chatty).toContain("tenon listening");
	} finally {
		if (env !== undefined) process.env.TENON_LOG_LEVEL = env;
	}
});
