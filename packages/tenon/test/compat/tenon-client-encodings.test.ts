// Tenon's own client in each encoding (BARE included) against the
// compatibility actors: values, errors, queues, connections and events.
import { describe, expect, it } from "vitest";
import type { Encoding } from "../../src/protocol/encoding.js";
import { setupTest } from "../../src/test/index.js";
import { compatRegistry } from "./fixtures/compat-actors.js";
import { sampleValues } from "./fixtures/compat-values.js";

/** JSON has no tag for Map or Date (RivetKit's convention): an object of entries, an ISO string. */
function overJson(value: unknown): unknown {
	if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
	if (value instanceof Date) return value.toISOString();
	return value;
}

describe.each(["bare", "cbor", "json"] as const)("tenon/client over %s", (encoding: Encoding) => {
	it("round-trips every sample value, both ways, over HTTP and a connection", async () => {
		await using t = await setupTest(compatRegistry, { encoding });
		const handle = t.client.compat.getOrCreate([`values-${encoding}`]);
		const conn = handle.connect({ user: "ada" });
		try {
			for (const [name, value] of Object.entries(sampleValues())) {
				const expected = encoding === "json" ? overJson(value) : value;
				expect(await handle.sample(name), name).toEqual(expected);
				expect(await conn.sample(name), name).toEqual(expected);
				if (encoding !== "json" || expected === value) {
					expect(await handle.echo(value), name).toEqual(value);
					expect(await conn.echo(value), name).toEqual(value);
				}
			}
		} finally {
			await conn.dispose();
		}
	});

	it("carries errors with metadata, queue completions, events and conn state", async () => {
		await using t = await setupTest(compatRegistry, { encoding });
		const handle = t.client.compat.getOrCreate([`features-${encoding}`], {
			createWithInput: { label: "made" },
		});
		expect(await handle.label()).toBe("made");
		await expect(handle.fail()).rejects.toMatchObject({
			group: "user",
			code: "failed_on_purpose",
			metadata: { n: 1, why: "test" },
		});
		expect(await handle.send("jobs", { n: 21 }, { wait: true, timeout: 5_000 })).toEqual({
			status: "completed",
			response: { doubled: 42 },
		});
		const conn = handle.connect({ user: "grace" });
		try {
			const seen: number[] = [];
			conn.on("changed", (count) => seen.push(count));
			expect(await conn.whoami()).toBe("grace");
			await expect(conn.fail()).rejects.toMatchObject({
				code: "failed_on_purpose",
				metadata: { n: 1, why: "test" },
			});
			expect(await conn.increment(2)).toBe(2);
			await handle.increment(3);
			await expect.poll(() => seen).toEqual([2, 5]);
		} finally {
			await conn.dispose();
		}
		const blocked = handle.connect({ user: "blocked" });
		await expect(blocked.whoami()).rejects.toMatchObject({ code: "blocked" });
		await blocked.dispose();
	});
});
