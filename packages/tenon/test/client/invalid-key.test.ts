// A key that is neither a string nor a list of strings, from JavaScript
// without types (a number from a URL parser, an object), threw a bare
// `TypeError: key is not iterable` with no group or code (a docs walkthrough,
// 2026-11-28). It is `request/invalid_key` now, as the server answers.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { ActorError } from "../../src/protocol/errors.js";
import { normalizeKey } from "../../src/protocol/keys.js";
import { setupTest } from "../../src/test/index.js";

const life = actor({ state: {}, actions: { info: () => "ok" } });
const registry = setup({ use: { life }, logLevel: "silent" });

function codeOf(run: () => unknown): string {
	try {
		run();
	} catch (error) {
		return error instanceof ActorError ? `${error.group}/${error.code}` : String(error);
	}
	return "no error";
}

describe("a key of the wrong type", () => {
	it.each([[5], [{ room: "a" }], [null], [["a", 5]], [["a", null]], [new Set(["a"])]])(
		"is request/invalid_key: %o",
		(key) => {
			expect(codeOf(() => normalizeKey(key as never))).toBe("request/invalid_key");
		},
	);

	it("from the client, before anything is sent; strings and lists still work", async () => {
		await using t = await setupTest(registry);
		expect(codeOf(() => t.client.life.getOrCreate(5 as never))).toBe("request/invalid_key");
		expect(codeOf(() => t.client.life.get({} as never))).toBe("request/invalid_key");
		await expect(t.client.life.create(7 as never)).rejects.toMatchObject({
			group: "request",
			code: "invalid_key",
		});
		expect(await t.client.life.getOrCreate("a").info()).toBe("ok");
		expect(await t.client.life.getOrCreate(["a", "b"]).info()).toBe("ok");
		expect(await t.client.life.getOrCreate().info()).toBe("ok");
	});
});
