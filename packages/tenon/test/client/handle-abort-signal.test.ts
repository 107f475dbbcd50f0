// AbortSignals given to a handle's calls (one HTTP request each): an abort
// rejects the call at any step, the actor's resolution over REST and the
// user's getParams included, and many concurrent calls may share a signal.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { startHostileServer } from "./hostile-server.js";

/** Lets every waiting `wait` action return. */
const waiting = new Set<() => void>();
const releaseAll = () => {
	for (const release of waiting) release();
	waiting.clear();
};

const counter = actor({
	state: { count: 0 },
	actions: {
		get: (c) => c.state.count,
		wait: async () => {
			await new Promise<void>((resolve) => waiting.add(resolve));
			return "done";
		},
	},
});

const registry = setup({ use: { counter }, logLevel: "silent" });

/** Collects the process's warnings while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
	const warnings: string[] = [];
	const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
	process.on("warning", onWarning);
	try {
		await run();
		// Warnings are emitted on the next tick.
		await new Promise((resolve) => setTimeout(resolve, 10));
	} finally {
		process.off("warning", onWarning);
	}
	return warnings;
}

describe("AbortSignal on handle calls", () => {
	it("an abort rejects a call still resolving its actor over REST", async () => {
		await using server = await startHostileServer();
		server.onRequest = () => {}; // PUT /actors never answered
		const client = createClient<typeof registry>({ endpoint: server.url });
		const controller = new AbortController();
		// A key with a comma cannot use the gateway's query form: the actor is resolved first.
		const call = client.counter
			.getOrCreate("a,b")
			.action({ name: "get", args: [], signal: controller.signal });
		await expect.poll(() => server.sockets.size).toBe(1);
		controller.abort(new Error("stop"));
		await expect(call).rejects.toThrow("stop");
		expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
		// The REST request was abandoned too.
		await expect.poll(() => server.sockets.size).toBe(0);
	});

	it("an abort rejects a call still waiting for getParams", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>(t.url);
		const handle = client.counter.getOrCreate("params", {
			getParams: () => new Promise<undefined>(() => {}),
		});
		const controller = new AbortController();
		const call = handle.action({ name: "get", args: [], signal: controller.signal });
		controller.abort(new Error("stop"));
		await expect(call).rejects.toThrow("stop");
	});

	it("an aborted signal rejects at once, before anything is sent", async () => {
		await using server = await startHostileServer();
		const client = createClient<typeof registry>({ endpoint: server.url });
		const controller = new AbortController();
		controller.abort(new Error("early"));
		await expect(
			client.counter.getOrCreate("a,b").action({ name: "get", signal: controller.signal }),
		).rejects.toThrow("early");
		expect(server.sockets.size).toBe(0);
	});

	it("concurrent calls sharing one signal print no listener warning, and leave no listener", async () => {
		await using t = await setupTest(registry);
		const controller = new AbortController();
		// A client of its own: on Node its calls go over node:http (t.client's go through fetch,
		// whose Request leaves a listener on the signal until it is garbage collected).
		const client = createClient<typeof registry>(t.url);
		const handle = client.counter.getOrCreate("shared");
		const conn = handle.connect();
		await conn.get();
		const warnings = await warningsDuring(async () => {
			// Past 10 listeners on one signal Node warns (MaxListenersExceededWarning).
			await Promise.all([
				...Array.from({ length: 20 }, () =>
					handle.action({ name: "get", args: [], signal: controller.signal }),
				),
				...Array.from({ length: 20 }, () =>
					conn.action({ name: "get", args: [], signal: controller.signal }),
				),
			]);
		});
		expect(warnings).toEqual([]);
		expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
		// Waiting calls still all reject on abort.
		const calls = Array.from({ length: 15 }, () =>
			conn.action({ name: "wait", args: [], signal: controller.signal }),
		);
		await expect.poll(() => waiting.size).toBe(15);
		controller.abort(new Error("stop"));
		for (const call of calls) await expect(call).rejects.toThrow("stop");
		releaseAll();
		await conn.dispose();
	});
});
