import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const created: string[] = [];

const thing = actor({
	createState: (c, input: { label: string } | undefined) => {
		created.push(c.actorId);
		return { label: input?.label ?? "", key: [...c.key] };
	},
	actions: {
		info: (c) => ({ id: c.actorId, key: c.key, label: c.state.label }),
	},
});

const ADMIN = "admin-token-for-addressing-tests";
const admin = { authorization: `Bearer ${ADMIN}` };
const registry = setup({ use: { thing }, logLevel: "silent", admin: { token: ADMIN } });

async function json(response: Response): Promise<any> {
	return response.json();
}

describe("addressing and creation", () => {
	it("creates exactly one actor when 50 callers getOrCreate one key at once", async () => {
		await using t = await setupTest(registry);
		created.length = 0;
		const handles = Array.from({ length: 50 }, () => t.client.thing.getOrCreate(["race"]));
		const infos = await Promise.all(handles.map((handle) => handle.info()));
		expect(new Set(infos.map((info) => info.id)).size).toBe(1);
		expect(created).toHaveLength(1);
		const listed = await json(await fetch(`${t.url}/actors?name=thing`, { headers: admin }));
		expect(listed.actors).toHaveLength(1);
	});

	it("creates exactly one actor when 50 REST calls race", async () => {
		await using t = await setupTest(registry);
		const calls = Array.from({ length: 50 }, () =>
			fetch(`${t.url}/actors`, {
				method: "PUT",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ name: "thing", key: "rest-race" }),
			}).then(json),
		);
		const results = await Promise.all(calls);
		expect(new Set(results.map((result) => result.actor.actor_id)).size).toBe(1);
		expect(results.filter((result) => result.created)).toHaveLength(1);
	});

	it("keeps compound and hostile keys apart and treats them as data", async () => {
		await using t = await setupTest(registry);
		const keys: string[][] = [
			["a", "b"],
			["a/b"],
			["a,b"],
			["a", "", "b"],
			[""],
			[],
			["../../etc/passwd"],
			["\u0000\u0001"],
			["<script>alert(1)</script>"],
			["' OR 1=1 --"],
			["日本語", "🚀"],
			["x".repeat(128)],
		];
		const ids = new Set<string>();
		for (const key of keys) {
			const info = await t.client.thing.getOrCreate(key).info();
			expect(info.key).toEqual(key);
			ids.add(info.id);
		}
		expect(ids.size).toBe(keys.length);
		// Same keys again find the same actors.
		for (const key of keys)
			expect(ids.has((await t.client.thing.getOrCreate(key).info()).id)).toBe(true);
	});

	it("passes creation input through the query form, REST, and create()", async () => {
		await using t = await setupTest(registry);
		expect(
			(await t.client.thing.getOrCreate("q", { createWithInput: { label: "query" } }).info()).label,
		).toBe("query");
		const big = "x".repeat(10_000);
		expect(
			(await t.client.thing.getOrCreate("big", { createWithInput: { label: big } }).info()).label,
		).toBe(big);
		const made = await t.client.thing.create(["made"], { input: { label: "created" } });
		expect((await made.info()).label).toBe("created");
		// Input only applies on creation.
		expect(
			(await t.client.thing.getOrCreate("q", { createWithInput: { label: "other" } }).info()).label,
		).toBe("query");
	});

	it("reports duplicate keys on create and missing actors on get", async () => {
		await using t = await setupTest(registry);
		await t.client.thing.create("dup");
		await expect(t.client.thing.create("dup")).rejects.toMatchObject({
			group: "actor",
			code: "duplicate_key",
		});
		await expect(t.client.thing.get("missing").info()).rejects.toMatchObject({
			group: "actor",
			code: "not_found",
		});
		await expect(t.client.thing.getForId("zzzzzzzzzzzzzzzz").info()).rejects.toMatchObject({
			code: "not_found",
		});
		const response = await fetch(`${t.url}/actors`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "thing", key: "dup" }),
		});
		expect(response.status).toBe(409);
	});

	it("serves the management REST API", async () => {
		await using t = await setupTest(registry);
		const metadata = await json(await fetch(`${t.url}/metadata?namespace=default`));
		expect(metadata).toMatchObject({ runtime: "tenon", actorNames: { thing: { metadata: {} } } });
		expect((await fetch(`${t.url}/health`)).status).toBe(200);
		const head = await fetch(`${t.url}/healthz`, { method: "HEAD" });
		expect([head.status, await head.text()]).toEqual([200, ""]);
		// Before 2026-11-26 any method was answered 200, as if it had done something.
		for (const method of ["POST", "DELETE"]) {
			const refused = await fetch(`${t.url}/health`, { method });
			expect([refused.status, (await json(refused)).code], method).toEqual([
				405,
				"method_not_allowed",
			]);
		}
		const info = await t.client.thing.getOrCreate(["one", "two"]).info();
		const byId = await json(await fetch(`${t.url}/actors?actor_ids=${info.id}`));
		expect(byId.actors[0]).toMatchObject({ actor_id: info.id, name: "thing", key: "one/two" });
		// At most 100 ids: more are refused, not cut (the rest read as missing before 2026-11-28).
		const many = Array.from({ length: 100 }, () => "x").join(",");
		const hundred = await fetch(`${t.url}/actors?actor_ids=${many},${info.id}`);
		expect([hundred.status, (await json(hundred)).code]).toEqual([400, "invalid"]);
		const byKey = await json(
			await fetch(`${t.url}/actors?name=thing&key=${encodeURIComponent("one/two")}`),
		);
		expect(byKey.actors[0].actor_id).toBe(info.id);
		const names = await json(await fetch(`${t.url}/actors/names`));
		expect(Object.keys(names.names)).toEqual(["thing"]);
		expect(
			(await fetch(`${t.url}/actors/${info.id}`, { method: "DELETE", headers: admin })).status,
		).toBe(200);
		expect((await json(await fetch(`${t.url}/actors?actor_ids=${info.id}`))).actors).toEqual([]);
		await expect(t.client.thing.getForId(info.id).info()).rejects.toMatchObject({
			code: "not_found",
		});
	});

	it("resolves handles to ids, and namespaces keep actors apart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.thing.getOrCreate("ns");
		const id = await handle.resolve();
		expect((await handle.info()).id).toBe(id);
		const other = await fetch(
			`${t.url}/gateway/thing/action/info?rvt-namespace=other&rvt-method=getOrCreate&rvt-key=ns`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		).then(json);
		expect(other.output.id).not.toBe(id);
	});
});
