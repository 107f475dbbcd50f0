// An app that edits its document only on the server (from actions or timers,
// no client's sync in between) kept the promise of every KV write the log
// made, waiting for a sync to await them: one more per edit, for as long as
// the actor was awake (a review, 2026-11-26).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import type { ActorKv } from "../../src/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ActorDocument } from "../../src/yjs/document.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** `kv`, with each write's promise watched: `collected` counts those garbage collected. */
function watchedKv(kv: ActorKv, watch: FinalizationRegistry<null>): ActorKv {
	return new Proxy(kv, {
		get(target, name) {
			const method = Reflect.get(target, name) as (...args: unknown[]) => unknown;
			if (name !== "put" && name !== "deleteRange") return method.bind(target);
			return (...args: unknown[]) => {
				const written = method.apply(target, args);
				watch.register(written as object, null);
				return written;
			};
		},
	});
}

it("lets the writes of server-side edits go once they are committed", async () => {
	let collected = 0;
	const watch = new FinalizationRegistry<null>(() => collected++);
	const notes = actor({
		state: {},
		createVars: async (c) => ({
			document: await ActorDocument.load(watchedKv(c.kv, watch), 1_000_000),
		}),
		actions: {
			// One edit per insert: each is an update of its own, logged on its own.
			edit: (c, edits: number) => {
				const text = c.vars.document.doc.getText("text");
				for (let i = 0; i < edits; i++) text.insert(text.length, "x");
				return text.length;
			},
		},
	});
	await using t = await setupTest(setup({ use: { notes }, logLevel: "silent" }));
	const handle = t.client.notes.getOrCreate("server-only");
	for (let round = 0; round < 10; round++) await handle.edit(200);
	expect(await handle.edit(0)).toBe(2_000);
	// Finalizers run on a task after a collection: a few rounds of both.
	for (let i = 0; i < 20 && collected < 1_900; i++) {
		gc();
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	// Before: none of the 2,000 (all held by the document until a client's sync).
	expect(collected).toBeGreaterThanOrEqual(1_900);
});
