// Two error codes that callers saw wrong (a walkthrough, 2026-11-27):
// - `new UserError(message, { code: "" })` reached callers as `user/`, not
//   the documented default `user_error`;
// - a connection refused with a code longer than a close reason holds (123
//   bytes for `group.code`) reported two errors, the second cut from the
//   close reason, and every later call failed with the cut one.
import { describe, expect, it } from "vitest";
import type { ActorError } from "../../src/client/index.js";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const LONG = "y".repeat(200);

const guarded = actor({
	onBeforeConnect: (_c, params: { code?: string } | undefined) => {
		if (params?.code !== undefined) throw new UserError("refused", { code: params.code });
	},
	actions: {
		fail: (_c, code: string) => {
			throw new UserError("failed", { code });
		},
	},
});
const registry = setup({ use: { guarded }, logLevel: "silent" });

describe("user error codes as callers see them", () => {
	it("an empty code is the default user_error, over HTTP and on a connection", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.guarded.getOrCreate("a");
		await expect(handle.fail("")).rejects.toMatchObject({ group: "user", code: "user_error" });
		const conn = handle.connect();
		await expect(conn.fail("")).rejects.toMatchObject({ group: "user", code: "user_error" });
		await conn.dispose();
	});

	it("a refused connection's long code is reported once, whole, and later calls fail with it", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.guarded.getOrCreate("a", { params: { code: LONG } }).connect();
		const seen: ActorError[] = [];
		conn.onError((error) => seen.push(error));
		const statuses: string[] = [];
		conn.onStatusChange((status) => statuses.push(status));
		await expect(conn.fail("x")).rejects.toMatchObject({ group: "user", code: LONG });
		// Given up after the close (a refusal is not retried): the close's error was heard by now.
		await expect.poll(() => statuses.at(-1)).toBe("idle");
		expect(seen.map((error) => `${error.group}/${error.code}`)).toEqual([`user/${LONG}`]);
		await expect(conn.fail("x")).rejects.toMatchObject({ group: "user", code: LONG });
		await conn.dispose();
	});
});
