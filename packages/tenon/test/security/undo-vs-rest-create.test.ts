// A refused caller's `getOrCreate` undoes its creation, and the undo took
// actors a REST create had answered with meanwhile (a probe, 2026-11-27):
// a `PUT /actors` racing it got `200 {created: false}` with an id that was
// destroyed a moment later (its next call: `actor/not_found`), and a racing
// `POST /actors` got `409 actor/duplicate_key` for a key nothing held
// afterwards. Now a REST create that answers with an actor claims it, and
// one that finds the actor being undone waits for it to go and creates anew.
// A review then found a PUT whose directory read saw the record before a
// whole undo ran and answered after it, and a POST that asked
// `onBeforeCreate` twice when it waited for an undo.
import { describe, expect, it } from "vitest";
import { deferred } from "../../src/common/deferred.js";
import { actor, setup, UserError } from "../../src/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";
import { embeddedDrivers } from "../helpers/drivers.js";

const TOKEN = "letmein";

/** The test's hand on the refused caller's hooks and on the undo. */
const gates = {
	refusing: deferred<void>(),
	refuse: deferred<void>(),
	destroying: deferred<void>(),
	destroy: deferred<void>(),
	holdHooks: false,
	holdDestroy: false,
	beforeCreate: 0,
};

const room = actor({
	state: { calls: 0 },
	onBeforeCreate: () => {
		gates.beforeCreate++;
	},
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

const drivers = embeddedDrivers("tenon-undo-rest-");

function resetGates(holdHooks: boolean, holdDestroy: boolean): void {
	Object.assign(gates, {
		refusing: deferred<void>(),
		refuse: deferred<void>(),
		destroying: deferred<void>(),
		destroy: deferred<void>(),
		holdHooks,
		holdDestroy,
		beforeCreate: 0,
	});
}

/** `inner`, whose next `getByKey` once `hold` is set reads at once and answers when it resolves. */
function slowReads(inner: StorageDriver) {
	const control = { hold: undefined as Promise<void> | undefined, read: deferred<void>() };
	const driver: StorageDriver = {
		name: inner.name,
		async open(context) {
			const handles = await inner.open(context);
			const { directory } = handles;
			const getByKey = directory.getByKey.bind(directory);
			directory.getByKey = async (...args) => {
				const found = await getByKey(...args);
				const hold = control.hold;
				if (hold !== undefined) {
					control.hold = undefined;
					control.read.resolve();
					await hold;
				}
				return found;
			};
			return handles;
		},
	};
	return { control, driver };
}

describe.each(drivers)("a refused getOrCreate racing a REST create (%s)", (_name, make) => {
	async function server(storage: StorageDriver = make()) {
		const t = await setupTest(registry, { storage });
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

	it("a PUT whose read saw the actor before a whole undo ran creates the key anew", async () => {
		resetGates(true, false);
		const { control, driver } = slowReads(make());
		const s = await server(driver);
		await using _t = s.t;
		const refused = s.anonymous("slow");
		await gates.refusing.promise;
		const answer = deferred<void>();
		control.hold = answer.promise;
		const put = s.create("PUT", "slow");
		await control.read.promise; // the PUT has read the record...
		gates.refuse.resolve();
		expect((await refused).status).toBe(400); // ...and the undo has run
		answer.resolve();
		const answered = await put;
		expect(answered.status).toBe(200);
		expect(answered.body.created).toBe(true);
		expect(await s.ping(answered.body.actor.actor_id)).toEqual({
			status: 200,
			body: { output: 1 },
		});
	});

	it("a POST that waits for an undo asks onBeforeCreate once", async () => {
		resetGates(false, true);
		const s = await server();
		await using _t = s.t;
		const refused = s.anonymous("once");
		await gates.destroying.promise;
		const asked = gates.beforeCreate;
		const post = s.create("POST", "once");
		await new Promise((resolve) => setTimeout(resolve, 50));
		gates.destroy.resolve();
		expect((await refused).status).toBe(400);
		expect((await post).status).toBe(200);
		expect(gates.beforeCreate - asked).toBe(1);
		expect(await s.listed("once")).toBe(1);
	});
});
