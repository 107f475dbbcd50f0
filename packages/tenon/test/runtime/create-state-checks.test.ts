// `createState`'s value was checked only by the commit, which lets through
// what it can encode inexactly: a string holding half of an emoji
// (`input.title.slice(0, 1)`) was kept in memory as "\ud83d" and read back
// after a restart as three U+FFFD (a walkthrough, 2026-11-27). It is now
// checked as a write in an action is: the wake fails with
// `state/not_serializable`, and nothing is stored.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

class Tally extends Map<string, number> {}

const titled = actor({
	createState: (_c, input: { title: string; tally?: boolean }) => ({
		title: input.title.slice(0, 1),
		...(input.tally ? { tally: new Tally() } : {}),
	}),
	actions: { title: (c) => c.state.title },
});
const registry = setup({ use: { titled }, logLevel: "silent" });

describe("createState's value is checked as a write is", () => {
	it("a lone surrogate half fails the wake, and a whole character is kept", async () => {
		await using t = await setupTest(registry);
		const half = t.client.titled.getOrCreate("half", { createWithInput: { title: "😀!" } });
		await expect(half.title()).rejects.toMatchObject({
			group: "state",
			code: "not_serializable",
			metadata: { path: "state.title" },
		});
		const whole = t.client.titled.getOrCreate("whole", { createWithInput: { title: "ab" } });
		expect(await whole.title()).toBe("a");
		await t.restart();
		expect(await whole.title()).toBe("a");
	});

	it("a class instance fails the wake, naming its path", async () => {
		await using t = await setupTest(registry);
		const tallied = t.client.titled.getOrCreate("tally", {
			createWithInput: { title: "a", tally: true },
		});
		await expect(tallied.title()).rejects.toMatchObject({
			group: "state",
			code: "not_serializable",
			metadata: { path: "state.tally" },
		});
	});
});
