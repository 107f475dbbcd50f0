// A queue send an action does not await, with a schema that checks at once:
// the message is written while the send is called, so the reply the action
// returns at once waits for it to be durable. Regression (a review of the
// one-pass route, 2026-11-25): the send awaited its schema before writing,
// and a reply released in the same pass as the action left before the
// message was written, let alone durable.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

const notes = actor({
	state: {},
	queues: { notes: queue<string>({ message: z.string().max(20) }) },
	actions: {
		jot: (c, text: string) => {
			void c.queue.send("notes", text);
			return "sent";
		},
	},
});

const registry = setup({ use: { notes }, logLevel: "silent" });

describe("an unawaited queue send with a schema that checks at once", () => {
	for (const transport of ["http", "connection"] as const)
		it(`holds the action's reply until the message is durable (${transport})`, async () => {
			const storage = controllableStorage(memoryDriver());
			await using t = await setupTest(registry, { storage: storage.driver });
			const handle = t.client.notes.getOrCreate(transport);
			const conn = transport === "connection" ? handle.connect() : undefined;
			const caller = conn ?? handle;
			expect(await caller.jot("warm")).toBe("sent");
			await t.settle();

			storage.hold();
			try {
				let replied = false;
				const reply = caller.jot("held").then((value) => {
					replied = true;
					return value;
				});
				await expect.poll(() => storage.held).toBe(1);
				await turns(20);
				expect(replied).toBe(false);
				storage.release();
				expect(await reply).toBe("sent");
			} finally {
				// A failed check must not leave the server's stop waiting on a held commit.
				storage.release();
				await conn?.dispose();
			}
		});
});
