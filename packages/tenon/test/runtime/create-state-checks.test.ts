// `createState`'s value is checked only by the commit, which stores what it
// can encode even when it reads back differently: a string holding half of
// an emoji (`input.title.slice(0, 1)`) is "\ud83d" in memory and three U+FFFD
// after a restart. Before 2026-11-27 nothing said so (a walkthrough); now a
// warning names the path. (Refusing it would fail every wake of that key
// for good: the stored input stays the same, a review found.)
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

class Tally extends Map<string, number> {}

const titled = actor({
	createState: (_c, input: { title: string; tally?: boolean }) => ({
		title: input.title.slice(0, 1),
		...(input.tally ? { tally: new Tally() } : {}),
	}),
	actions: {
		title: (c) => c.state.title,
		// As the actor holds it (a reply's encoding would change a lone surrogate itself).
		units: (c) => [...c.state.title].map((char) => char.charCodeAt(0)),
	},
});
const logged: { message: string; fields: unknown }[] = [];
const registry = setup({
	use: { titled },
	logger: createLogger({
		level: "warn",
		sink: (_level, message, fields) => logged.push({ message, fields }),
	}),
});

const WARNING = "createState returned a value storage does not keep exactly";

describe("createState's value", () => {
	it("a lone surrogate half is kept as the commit stores it, and a warning names its path", async () => {
		logged.length = 0;
		await using t = await setupTest(registry);
		const half = t.client.titled.getOrCreate("half", { createWithInput: { title: "😀!" } });
		expect(await half.units()).toEqual([0xd83d]);
		expect(logged.filter((line) => line.message === WARNING)).toEqual([
			{ message: WARNING, fields: expect.objectContaining({ path: "state.title" }) },
		]);
		await t.restart();
		expect(await half.units()).toEqual([0xfffd, 0xfffd, 0xfffd]);
		// A whole character: nothing to say.
		logged.length = 0;
		const whole = t.client.titled.getOrCreate("whole", { createWithInput: { title: "ab" } });
		expect(await whole.title()).toBe("a");
		expect(logged.filter((line) => line.message === WARNING)).toEqual([]);
	});

	it("a class instance is refused by the commit, naming its path", async () => {
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
