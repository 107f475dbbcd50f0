// A `getOrCreate` whose caller the connect hooks refuse undoes its creation,
// but the undo left the actor's directory record behind, as every destroyed
// actor's is kept: 20,000 refused requests with fresh keys left 20,000
// records (20 MB on LMDB) that nothing ever deleted, from a caller with no
// credentials at all (an audit, 2026-11-27). The record of an undone
// creation now goes with its data, on every route that can create.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { actor, setup, UserError } from "../../src/index.js";
import type { StorageDriver, StorageHandles } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";
import { embeddedDrivers } from "../helpers/drivers.js";

const guarded = actor({
	state: { count: 0 },
	onBeforeConnect: (_c, params: { token?: string } | undefined) => {
		if (params?.token !== "letmein") throw new UserError("sign in first", { code: "forbidden" });
	},
	onRequest: () => new Response("ok"),
	actions: { inc: (c) => ++c.state.count },
});
const registry = setup({ use: { guarded }, logLevel: "silent" });

/** `inner`, noting the id of every actor its directory creates. */
function noting(inner: StorageDriver): {
	driver: StorageDriver;
	created: string[];
	handles(): StorageHandles;
} {
	const created: string[] = [];
	let opened: StorageHandles | undefined;
	const driver: StorageDriver = {
		name: inner.name,
		async open(context) {
			const handles = await inner.open(context);
			const directory = handles.directory;
			const create = directory.create.bind(directory);
			directory.create = async (request) => {
				const result = await create(request);
				if (result.created) created.push(result.actor.actorId);
				return result;
			};
			opened = handles;
			return handles;
		},
	};
	return {
		driver,
		created,
		handles: () => {
			if (opened === undefined) throw new Error("not opened");
			return opened;
		},
	};
}

const drivers = embeddedDrivers("tenon-undone-");

describe.each(drivers)("refused creations leave no record (%s)", (_name, make) => {
	it("an action, a raw request and a socket refused by the hooks leave no directory record", async () => {
		const storage = noting(make());
		await using t = await setupTest(registry, { storage: storage.driver });
		const base = `${t.url}/gateway/guarded`;
		for (let i = 0; i < 10; i++) {
			const action = await fetch(`${base}/action/inc?rvt-method=getOrCreate&rvt-key=a${i}`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: '{"args":[]}',
			});
			expect(action.status).toBe(400);
			const raw = await fetch(`${base}/request/x?rvt-method=getOrCreate&rvt-key=r${i}`);
			expect(raw.status).toBe(400);
		}
		const socket = new WebSocket(
			`${base.replace("http", "ws")}/connect?rvt-method=getOrCreate&rvt-key=s`,
			["rivet", "rivet_encoding.json"],
		);
		const reason = await new Promise<string>((resolve) =>
			socket.on("close", (_code, why) => resolve(why.toString())),
		);
		expect(reason).toBe("user.forbidden");
		await t.settle();
		expect(storage.created.length).toBe(21);
		const { directory } = storage.handles();
		for (const actorId of storage.created) expect(await directory.getById(actorId)).toBeUndefined();
		// A caller the hooks accept still creates, and keeps, its actor.
		const kept = t.client.guarded.getOrCreate("kept", { params: { token: "letmein" } });
		expect(await kept.inc()).toBe(1);
		const id = await kept.resolve();
		expect((await directory.getById(id))?.destroyedAt).toBeUndefined();
	});
});
