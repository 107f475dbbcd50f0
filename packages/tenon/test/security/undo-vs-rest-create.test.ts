// A refused caller's `getOrCreate` undoes its creation, and the undo took
// actors a REST create had answered with meanwhile (a probe, 2026-11-27):
// a `PUT /actors` racing it got `200 {created: false}` with an id that was
// destroyed a moment later (its next call: `actor/not_found`), and a racing
// `POST /actors` got `409 actor/duplicate_key` for a key nothing held
// afterwards. Now a REST create that answers with an actor claims it, and
// one that finds the actor being undone waits for it to go and creates anew.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deferred } from "../../src/common/deferred.js";
import { actor, lmdbDriver, memoryDriver, setup, UserError } from "../../src/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";

const TOKEN = "letmein";

/** The test's hand on the refused caller's hooks and on the undo. */
const gates = {
	refusing: deferred<void>(),
	refuse: deferred<void>(),
	destroying: deferred<void>(),
	destroy: deferred<void>(),
	holdHooks: false,
	holdDestroy: false,
};

const room = actor({
	state: { calls: 0 },
	onBeforeConnect: async (_c, params: { token?: string } | undefined) => {
		if (params?.token === TOKEN) return;
		if (gates.holdHooks) {
			gates.refusing.resolve();
			await gates.refuse.promise;
		}
		throw new UserError("sign in first", { code: "forbidden" });
	},
	onDestroy: async () => {
		if (!gates.holdDestroy) return;
		gates.destroying.resolve();
		await gates.destroy.promise;
	},
	actions: { ping: (c) => ++c.state.calls },
});
const registry = setup({ use: { room }, logLevel: "silent" });

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const drivers: [string, () => StorageDriver][] = [
	["memory", () => memoryDriver()],
	[
		"lmdb",
		() => {
			const dir = mkdtempSync(join(tmpdir(), "tenon-undo-rest-"));
			dirs.push(dir);
			return lmdbDriver({ path: dir });
		},
	],
];

function resetGates(holdHooks: boolean, holdDestroy: boolean): void {
	Object.assign(gates, {
		refusing: deferred<void>(),
		refuse: deferred<void>(),
		destroying: deferred<void>(),
		destroy: deferred<void>(),
		holdHooks,
		holdDestroy,
	});
}

describe.each(drivers)("a refused getOrCreate racing a REST create (%s)", (_name, make) => {
	async function server() {
		const t = await setupTest(registry, { storage: make() });
		const json = { "content-type": "application/json" };
		const signedIn = { ...json, "x-rivet-conn-params": JSON.stringify({ token: TOKEN }) };
		return {
			t,
			/** A caller with no credentials: the hooks refuse it after creating the actor. */
			anonymous: (key: string) =>
				fetch(`${t.url}/gateway/room/action/ping?rvt-method=getOrCreate&rvt-key=${key}`, {
					method: "POST",
					headers: json,
					body: '{"args":[]}',
				}),
			create: async (method: "PUT" | "POST", key: string) => {
				const response = await fetch(`${t.url}/actors`, {
					method,
					headers: signedIn,
					body: JSON.stringify({ name: "room", key: [key] }),
				});
				return { status: response.status, body: (await response.json()) as Record<string, any> };
			},
			ping: async (actorId: string) => {
				const response = await fetch(`${t.url}/gateway/${actorId}/action/ping`, {
					method: "POST",
					headers: signedIn,
					body: '{"args":[]}',
				});
				return { status: response.status, body: await response.json() };
			},
			listed: async (key: string) => {
				const response = await fetch(`${t.url}/actors?name=room&key=${key}`);
				return ((await response.json()) as { actors: unknown[] }).actors.length;
			},
		};
	}

	it("a PUT answered with the actor keeps it: the refused caller's undo leaves it be", async () => {
		resetGates(true, false);
		const s = await server();
		await using _t = s.t;
		const refused = s.anonymous("put");
		await gates.refusing.promise;
		const put = await s.create("PUT", "put");
		expect(put.status).toBe(200);
		expect(put.body.created).toBe(false);
		gates.refuse.resolve();
		expect((await refused).status).toBe(400);
		expect(await s.ping(put.body.actor.actor_id)).toEqual({ status: 200, body: { output: 1 } });
		expect(await s.listed("put")).toBe(1);
	});

	it("a POST told the key is taken leaves the key taken", async () => {
		resetGates(true, false);
		const s = await server();
		await using _t = s.t;
		const refused = s.anonymous("post");
		await gates.refusing.promise;
		const post = await s.create("POST", "post");
		expect(post.status).toBe(409);
		expect(post.body.code).toBe("duplicate_key");
		gates.refuse.resolve();
		expect((await refused).status).toBe(400);
		expect(await s.listed("post")).toBe(1);
	});

	it("a PUT that finds the actor being undone waits, then creates the key anew", async () => {
		resetGates(false, true);
		const s = await server();
		await using _t = s.t;
		const refused = s.anonymous("late");
		await gates.destroying.promise;
		const put = s.create("PUT", "late");
		// The PUT waits for the undo to end.
		await new Promise((resolve) => setTimeout(resolve, 50));
		gates.destroy.resolve();
		expect((await refused).status).toBe(400);
		const answered = await put;
		expect(answered.status).toBe(200);
		expect(answered.body.created).toBe(true);
		expect(await s.ping(answered.body.actor.actor_id)).toEqual({
			status: 200,
			body: { output: 1 },
		});
		expect(await s.listed("late")).toBe(1);
	});
});
