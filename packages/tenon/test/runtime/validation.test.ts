import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const guarded = actor({
	state: { items: [] as string[] },
	actionInputSchemas: {
		add: z.tuple([z.string().min(1).max(10)]),
		"admin.trim": z.tuple([z.coerce.number().int().min(0)]),
	},
	connParamsSchema: z.object({ token: z.string().startsWith("t-") }),
	actions: {
		add: (c, item: string) => {
			c.state.items.push(item);
			return c.state.items.length;
		},
		admin: {
			trim: (c, keep: number) => {
				c.state.items = c.state.items.slice(0, keep);
				return { keep, type: typeof keep };
			},
		},
		items: (c) => c.state.items,
	},
});

const registry = setup({ use: { guarded }, logLevel: "silent" });

describe("Standard Schema validation", () => {
	it("rejects bad action arguments with request/invalid_args and the issues", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.guarded.getOrCreate("v", { params: { token: "t-1" } });
		expect(await handle.add("ok")).toBe(1);
		const error = await handle.action({ name: "add", args: [""] }).catch((e: unknown) => e);
		expect(error).toMatchObject({
			group: "request",
			code: "invalid_args",
			metadata: { name: "add" },
		});
		const issues = (error as { metadata: { issues: { path: string }[] } }).metadata.issues;
		expect(issues[0]?.path).toBe("0");
		// @ts-expect-error: a number where the schema wants a string (what a hostile caller sends)
		await expect(handle.action({ name: "add", args: [42] })).rejects.toMatchObject({
			code: "invalid_args",
		});
		// @ts-expect-error: the argument left out
		await expect(handle.action({ name: "add", args: [] })).rejects.toMatchObject({
			code: "invalid_args",
		});
		expect(await handle.items()).toEqual(["ok"]);
	});

	it("passes validated, transformed values to the action", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.guarded.getOrCreate("coerce", { params: { token: "t-1" } });
		// @ts-expect-error: the types follow the action's parameter (a number); the schema coerces
		expect(await handle.action({ name: "admin.trim", args: ["3"] })).toEqual({
			keep: 3,
			type: "number",
		});
	});

	it("validates connection params before onBeforeConnect, for connections and HTTP", async () => {
		await using t = await setupTest(registry);
		await expect(
			t.client.guarded.getOrCreate("p", { params: { token: "nope" } }).items(),
		).rejects.toMatchObject({
			group: "request",
			code: "conn_params_invalid",
		});
		const conn = t.client.guarded.getOrCreate("p", { params: { token: "bad" } }).connect();
		await expect(conn.items()).rejects.toMatchObject({ code: "conn_params_invalid" });
		await conn.dispose();
		const good = t.client.guarded.getOrCreate("p", { params: { token: "t-ok" } }).connect();
		expect(await good.add("x")).toBe(1);
		await good.dispose();
	});
});
