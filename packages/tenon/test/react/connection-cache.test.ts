// The connections tenon/react's hooks share (`useActor`), against a real
// server: the error a connection reported is the hook's `error` until the
// connection opens again.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { ActorError, actor, setup } from "../../src/index.js";
import { ConnectionCache } from "../../src/react/connection-cache.js";
import { setupTest } from "../../src/test/index.js";

/** Connections turned away with `limit/overloaded` before one is let in. */
let overloadsLeft = 0;

const busy = actor({
	state: { n: 0 },
	onBeforeConnect: () => {
		if (overloadsLeft > 0) {
			overloadsLeft--;
			throw new ActorError("limit", "overloaded", "Busy; retry shortly", { retryAfter: 10 });
		}
	},
	actions: { get: (c) => c.state.n },
});

const registry = setup({ use: { busy }, logLevel: "silent" });

describe("ConnectionCache", () => {
	it("useActor's error is cleared when the connection opens again", async () => {
		await using t = await setupTest(registry);
		overloadsLeft = 1;
		const client = createClient<typeof registry>({
			endpoint: t.url,
			reconnect: { minDelayMs: 20, maxDelayMs: 40 },
		});
		const cache = new ConnectionCache<
			ReturnType<ReturnType<typeof client.busy.getOrCreate>["connect"]>
		>();
		const entry = cache.acquire("busy", () => client.busy.getOrCreate("k").connect());
		// What the hook re-renders with: `error` read after each notification.
		const seen: Array<string | undefined> = [];
		entry.errorListeners.add(() => seen.push(entry.error?.code));
		await expect.poll(() => entry.conn.connStatus).toBe("connected");
		expect(await entry.conn.get()).toBe(0);
		expect(entry.error).toBeUndefined();
		expect(seen).toEqual(["overloaded", undefined]);
		cache.release("busy");
		await client.dispose();
	});
});
