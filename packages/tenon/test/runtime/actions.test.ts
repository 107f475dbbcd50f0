import { describe, expect, it } from "vitest";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const stateChanges: number[] = [];
let releaseSlow: (() => void) | undefined;
let stuckCalls = 0;
let releaseThenable: (() => void) | undefined;

const worker = actor({
	state: { count: 0, log: [] as string[] },
	onStateChange: (c, state) => {
		stateChanges.push(state.count);
		// A write here must not trigger onStateChange again.
		c.state.log.push("changed");
	},
	onBeforeActionResponse: (_c, name, _args, output) =>
		name === "wrapped" ? { wrapped: output } : output,
	actions: {
		add: (_c, a: number, b: number) => a + b,
		increment: async (c) => {
			await Promise.resolve();
			return ++c.state.count;
		},
		math: { nested: { square: (_c, n: number) => n * n } },
		wrapped: () => 42,
		userError: () => {
			throw new UserError("not allowed", { code: "forbidden", metadata: { reason: "test" } });
		},
		crash: () => {
			throw new Error("secret database password is hunter2");
		},
		slow: async () => {
			await new Promise<void>((resolve) => {
				releaseSlow = resolve;
			});
			return "finished";
		},
		/** Returns, synchronously, a thenable (not a promise) that settles when released. */
		stuckThenable: () => {
			stuckCalls++;
			return {
				// biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise, on purpose
				then: (resolve: (value: string) => void) => {
					releaseThenable = () => resolve("released");
				},
			} as unknown as PromiseLike<string>;
		},
		interleave: async (c, tag: string) => {
			c.state.log.push(`${tag}:start`);
			await new Promise((resolve) => setTimeout(resolve, 5));
			c.state.log.push(`${tag}:end`);
			return c.state.log.filter((entry) => entry !== "changed");
		},
		save: async (c) => {
			c.state.count += 100;
			await c.saveState();
			return c.state.count;
		},
		read: (c) => c.state,
	},
	options: { actionTimeout: 5_000 },
});

const registry = setup({ use: { worker }, logLevel: "silent" });
const exposing = setup({ use: { worker }, exposeInternalErrors: true, logLevel: "silent" });

describe("actions", () => {
	it("runs sync, async and nested actions", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("a");
		expect(await handle.add(2, 3)).toBe(5);
		expect(await handle.increment()).toBe(1);
		expect(await handle.math.nested.square(7)).toBe(49);
		expect(await handle.action({ name: "math.nested.square", args: [3] })).toBe(9);
	});

	it("reads the same action proxy for a name again (handle and connection), nested paths included", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("proxies");
		expect(handle.increment).toBe(handle.increment);
		expect(await handle.increment()).toBe(1);
		expect(await handle.increment()).toBe(2);
		const conn = handle.connect();
		try {
			const increment = conn.increment;
			expect(conn.increment).toBe(increment);
			expect(await increment()).toBe(3);
			expect(await conn.math.nested.square(4)).toBe(16);
			expect(await conn.math.nested.square(5)).toBe(25);
		} finally {
			await conn.dispose();
		}
	});

	it("passes user errors through and sanitizes internal ones", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("errors");
		await expect(handle.userError()).rejects.toMatchObject({
			group: "user",
			code: "forbidden",
			message: "not allowed",
			metadata: { reason: "test" },
		});
		const crash = await handle.crash().catch((error: unknown) => error as Error);
		expect(crash).toMatchObject({
			group: "core",
			code: "internal_error",
			message: "An internal error occurred",
		});
		expect(JSON.stringify(crash)).not.toContain("hunter2");
		const conn = handle.connect();
		await expect(conn.crash()).rejects.toMatchObject({
			code: "internal_error",
			message: "An internal error occurred",
		});
		await expect(conn.userError()).rejects.toMatchObject({ code: "forbidden" });
		await conn.dispose();
	});

	it("exposes internal error messages only when asked to", async () => {
		await using t = await setupTest(exposing);
		await expect(t.client.worker.getOrCreate("dev").crash()).rejects.toMatchObject({
			code: "internal_error",
			message: "secret database password is hunter2",
		});
	});

	it("exposes them under RivetKit's RIVET_EXPOSE_ERRORS=1 too, as under TENON_EXPOSE_INTERNAL_ERRORS=1", async () => {
		for (const name of ["RIVET_EXPOSE_ERRORS", "TENON_EXPOSE_INTERNAL_ERRORS"]) {
			process.env[name] = "1";
			try {
				await using t = await setupTest(registry);
				await expect(t.client.worker.getOrCreate(`env-${name}`).crash()).rejects.toMatchObject({
					message: "secret database password is hunter2",
				});
			} finally {
				delete process.env[name];
			}
		}
	});

	it("times out slow actions without blocking the actor", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("slow");
		const slow = handle.slow().catch((error: unknown) => error);
		await expect.poll(() => releaseSlow).toBeDefined();
		await t.clock.advance(5_000);
		expect(await slow).toMatchObject({ group: "actor", code: "action_timed_out" });
		expect(await handle.add(1, 1)).toBe(2);
		releaseSlow?.();
	});

	it("times out an action that returns a thenable at once (only settled values skip the timer)", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("thenable");
		const stuck = handle.stuckThenable().catch((error: unknown) => error);
		await expect.poll(() => stuckCalls).toBe(1);
		await t.clock.advance(5_000);
		expect(await stuck).toMatchObject({ group: "actor", code: "action_timed_out" });
		expect(await handle.add(2, 2)).toBe(4);
		releaseThenable?.();
	});

	it("transforms outputs with onBeforeActionResponse", async () => {
		await using t = await setupTest(registry);
		expect(await t.client.worker.getOrCreate("wrap").wrapped()).toEqual({ wrapped: 42 });
	});

	it("calls onStateChange once per changing turn, never for its own writes", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("changes");
		stateChanges.length = 0;
		await handle.increment();
		await handle.increment();
		await handle.add(1, 2);
		expect(stateChanges).toEqual([1, 2]);
		expect((await handle.read()).log.filter((entry) => entry === "changed")).toHaveLength(2);
	});

	it("interleaves actions at await points", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("interleave");
		const [first, second] = await Promise.all([handle.interleave("a"), handle.interleave("b")]);
		const log = second.length > first.length ? second : first;
		expect(log.indexOf("b:start")).toBeLessThan(log.indexOf("a:end"));
	});

	it("saves on demand with c.saveState()", async () => {
		await using t = await setupTest(registry);
		expect(await t.client.worker.getOrCreate("save").save()).toBe(100);
	});

	it("answers unknown actions with actor/action_not_found", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.worker.getOrCreate("missing");
		// @ts-expect-error: no such action (the types say so before the server does)
		await expect(handle.action({ name: "nope" })).rejects.toMatchObject({
			group: "actor",
			code: "action_not_found",
		});
		const conn = handle.connect();
		// @ts-expect-error: no such action in the group
		await expect(conn.action({ name: "math.nope" })).rejects.toMatchObject({
			code: "action_not_found",
		});
		await conn.dispose();
	});
});
