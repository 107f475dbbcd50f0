// The client's handles and connections make every other property an action.
// JavaScript reads some properties itself: `JSON.stringify(handle)` called
// `toJSON`, which sent an action `toJSON` (creating the actor under
// `getOrCreate`) whose rejection nobody awaited, and a template string called
// `toString` and `valueOf` (a walkthrough, 2026-11-28). Those names are not
// actions: the proxies answer undefined, and no request goes out.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const box = actor({
	state: { n: 0 },
	actions: { bump: (c) => ++c.state.n },
});
const registry = setup({ use: { box } });

describe("names JavaScript reads itself, on a handle and a connection", () => {
	it("are not actions: no request, no actor created, no unhandled rejection", async () => {
		await using t = await setupTest(registry);
		const rejections: unknown[] = [];
		const onRejection = (reason: unknown) => rejections.push(reason);
		process.on("unhandledRejection", onRejection);
		try {
			const handle = t.client.box.getOrCreate("never-made");
			expect(JSON.stringify({ handle })).toBe(`{"handle":{}}`);
			expect(() => `${handle}`).toThrow(TypeError);
			expect(() => String(handle)).toThrow(TypeError);
			for (const name of ["then", "toJSON", "toString", "valueOf", "constructor"])
				expect((handle as unknown as Record<string, unknown>)[name]).toBeUndefined();
			expect(
				(handle as unknown as { admin: Record<string, unknown> }).admin.toJSON,
			).toBeUndefined();
			// Nothing reached the server: the actor was never created.
			expect(
				await t.client.box
					.get("never-made")
					.resolve()
					.catch((e) => e.code),
			).toBe("not_found");

			const conn = t.client.box.getOrCreate("made").connect();
			expect(await conn.bump()).toBe(1);
			// Its own fields, as for any object (no action called).
			expect(JSON.parse(JSON.stringify([conn]))[0]).toMatchObject({ actorId: conn.actorId });
			expect(() => `${conn}`).toThrow(TypeError);
			for (const name of ["toJSON", "toString", "valueOf", "constructor"])
				expect((conn as unknown as Record<string, unknown>)[name]).toBeUndefined();
			expect(await conn.bump()).toBe(2);
			await conn.dispose();
			await new Promise((resolve) => setTimeout(resolve, 50));
			expect(rejections).toEqual([]);
		} finally {
			process.off("unhandledRejection", onRejection);
		}
	});
});
