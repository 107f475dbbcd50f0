// Chains of actor-to-actor calls carry their depth; a chain deeper than 32 is
// refused with actor/call_too_deep. A client that points two actors at each
// other (any "next" pointer it writes) made a cycle of calls that grew until
// the process ran out of memory (an attacker probe, 2026-11-25).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const hop = actor({
	state: { next: "" as string, passed: 0 },
	actions: {
		setNext: (c, next: string) => {
			c.state.next = next;
		},
		/** Calls the next actor's walk, if there is one; returns the depth each call saw. */
		walk: async (c): Promise<number[]> => {
			c.state.passed++;
			const depth = c.request?.callDepth ?? -1;
			if (c.state.next === "") return [depth];
			const rest = await c.client<typeof registry>().hop.getOrCreate(c.state.next).walk();
			return [depth, ...rest];
		},
		passed: (c) => c.state.passed,
	},
});

/** Each key's connect hook calls the other key's actor: a cycle through hooks, not actions. */
const gate = actor({
	state: { calls: 0 },
	onBeforeConnect: async (c) => {
		if (c.key[0] !== "a" && c.key[0] !== "b") return;
		await c
			.client<typeof registry>()
			.gate.getOrCreate(c.key[0] === "a" ? "b" : "a")
			.ping();
	},
	actions: {
		ping: (c) => {
			c.state.calls++;
			return c.request?.callDepth ?? -1;
		},
	},
});

/**
 * Each poke sets a timer whose action pokes the other actor: a cycle through timers. Before
 * 2026-11-27 a timer's action called at depth 1 again, so it never ended (an attacker probe:
 * 3,000 hops in 3 s, and on after a restart, the timers being durable).
 */
const relay = actor({
	state: { hops: 0, refused: "", probed: [] as number[] },
	actions: {
		/** Asks `key`'s relay (a call one deep) to set a timer a minute away. */
		armVia: (c, key: string) => c.client<typeof registry>().relay.getOrCreate(key).armLater(),
		armLater: (c) => c.schedule.after(60_000, "probe"),
		/** What depth a call from this timer's action arrives at. */
		probe: async (c) => {
			c.state.probed = await c.client<typeof registry>().hop.getOrCreate("leaf").walk();
		},
		probed: (c) => c.state.probed,
		poke: async (c, next: string) => {
			c.state.hops++;
			await c.schedule.after(0, "forward", next);
		},
		forward: async (c, next: string) => {
			try {
				await c
					.client<typeof registry>()
					.relay.getOrCreate(next)
					.poke(c.key[0] as string);
			} catch (error) {
				c.state.refused = (error as { code?: string }).code ?? String(error);
			}
		},
		seen: (c) => ({ hops: c.state.hops, refused: c.state.refused }),
	},
});

const registry = setup({ use: { hop, gate, relay }, logLevel: "silent" });

describe("actor-to-actor call depth", () => {
	it("counts the depth along a chain, and refuses a cycle at 32 with actor/call_too_deep", async () => {
		await using t = await setupTest(registry);
		// A chain of 5: each call sees one more than the call before it.
		for (let i = 0; i < 4; i++)
			await t.client.hop.getOrCreate(`chain-${i}`).setNext(`chain-${i + 1}`);
		expect(await t.client.hop.getOrCreate("chain-0").walk()).toEqual([0, 1, 2, 3, 4]);
		// A cycle of two, set up by a client.
		await t.client.hop.getOrCreate("a").setNext("b");
		await t.client.hop.getOrCreate("b").setNext("a");
		const started = performance.now();
		await expect(t.client.hop.getOrCreate("a").walk()).rejects.toMatchObject({
			group: "actor",
			code: "call_too_deep",
		});
		expect(performance.now() - started).toBeLessThan(5_000);
		// 33 calls ran (depths 0 to 32); the 34th was refused before it ran.
		const passed =
			(await t.client.hop.getOrCreate("a").passed()) +
			(await t.client.hop.getOrCreate("b").passed());
		expect(passed).toBe(33);
		// The server goes on serving.
		expect(await t.client.hop.getOrCreate("chain-3").walk()).toEqual([0, 1]);
	});

	it("ignores a depth a client sends", async () => {
		await using t = await setupTest(registry);
		const response = await fetch(
			`${t.url}/gateway/hop/action/walk?rvt-method=getOrCreate&rvt-key=alone`,
			{
				method: "POST",
				headers: { "content-type": "application/json", "x-tenon-call-depth": "1000" },
				body: '{"args":[]}',
			},
		);
		expect(await response.json()).toEqual({ output: [0] });
	});

	it("counts calls made from connect hooks too", async () => {
		await using t = await setupTest(registry);
		expect(await t.client.gate.getOrCreate("alone").ping()).toBe(0);
		// Before, a hook's calls started at depth 1 again: this cycle ran until stopped by hand.
		await expect(t.client.gate.getOrCreate("a").ping()).rejects.toMatchObject({
			group: "actor",
			code: "call_too_deep",
		});
	});

	it("counts calls made from timers by the depth of the call that set them", async () => {
		await using t = await setupTest(registry);
		await t.client.relay.getOrCreate("a").poke("b");
		const seen = async () => {
			const [a, b] = await Promise.all(
				["a", "b"].map((key) => t.client.relay.getOrCreate(key).seen()),
			);
			return { hops: (a?.hops ?? 0) + (b?.hops ?? 0), refused: a?.refused || b?.refused };
		};
		await expect
			.poll(async () => (await seen()).refused, { timeout: 10_000 })
			.toBe("call_too_deep");
		// The client's poke and 32 calls (depths 1 to 32); the 33rd was refused before it ran.
		expect((await seen()).hops).toBe(33);
		await t.settle();
		expect((await seen()).hops).toBe(33);
	});

	it("keeps a timer's depth across a restart", async () => {
		await using t = await setupTest(registry);
		await t.client.relay.getOrCreate("first").armVia("second");
		await t.restart();
		await t.clock.advance(61_000);
		// Set by a call one deep: its action's call arrives two deep.
		await expect.poll(() => t.client.relay.getOrCreate("second").probed()).toEqual([2]);
	});
});
