// Unmodified RivetKit client (npm `rivetkit`, client protocol v4) against a
// Tenon server: proves wire compatibility, independently of Tenon's client.
import { createClient } from "rivetkit/client";
import { describe, expect, it } from "vitest";
import { actor, event, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
		fail: () => {
			throw new UserError("nope", { code: "forbidden_thing", metadata: { why: "test" } });
		},
		big: () => 2n ** 70n,
	},
});

const registry = setup({ use: { counter } });

describe.each(["json", "cbor"] as const)("rivetkit/client with %s encoding", (encoding) => {
	it("calls actions over HTTP and a connection, and receives events", async () => {
		await using t = await setupTest(registry);
		// Untyped on purpose: the registry type is Tenon's, which RivetKit's client does not know.
		const client: any = createClient({ endpoint: t.url, encoding, disableMetadataLookup: false });
		try {
			const handle = client.counter.getOrCreate(["k1"]);
			expect(await handle.increment(2)).toBe(2);

			const conn = handle.connect();
			const seen: number[] = [];
			conn.on("changed", (count: number) => seen.push(count));
			expect(await conn.increment(3)).toBe(5);
			await expect.poll(() => seen).toEqual([5]);
			expect(await handle.increment(1)).toBe(6);
			await expect.poll(() => seen).toEqual([5, 6]);

			await expect(conn.fail()).rejects.toMatchObject({ group: "user", code: "forbidden_thing" });
			await expect(handle.fail()).rejects.toMatchObject({ group: "user", code: "forbidden_thing" });
			expect(await handle.big()).toBe(2n ** 70n);
			await conn.dispose();

			const created = await client.counter.create(["k2"]);
			expect(await created.increment(10)).toBe(10);
			const actorId = await created.resolve();
			expect(await client.counter.getForId(actorId).increment(1)).toBe(11);
		} finally {
			await client.dispose();
		}
	});
});
