import { describe, expectTypeOf, it } from "vitest";
import type { ActorHandle, QueueSendResult } from "../../src/client/index.js";
import {
	actor,
	type CronJob,
	type FireInfo,
	internalQueue,
	queue,
	setup,
} from "../../src/index.js";

interface Job {
	id: string;
}

const worker = actor({
	state: { done: 0 },
	queues: {
		jobs: queue<Job, { ok: boolean }>(),
		pings: queue<number>(),
		ticks: queue<void>(),
		retries: internalQueue<Job>(),
	},
	run: async (c) => {
		for await (const message of c.queue.iter({ names: ["jobs"], completable: true })) {
			expectTypeOf(message.name).toEqualTypeOf<"jobs">();
			expectTypeOf(message.body).toEqualTypeOf<Job>();
			await message.complete({ ok: true });
			// @ts-expect-error the reply type is { ok: boolean }
			await message.complete({ ok: "yes" });
		}
		// Completable without waiting too (the overload was missing: a typing walkthrough).
		const batch = await c.queue.tryNextBatch({ names: ["jobs"], count: 3, completable: true });
		for (const message of batch) await message.complete({ ok: true });
		const plain = await c.queue.tryNextBatch({ count: 3 });
		// @ts-expect-error not received completable
		plain[0]?.complete;
		const any = await c.queue.next();
		if (any?.name === "pings") expectTypeOf(any.body).toEqualTypeOf<number>();
		// @ts-expect-error not a declared queue
		await c.queue.send("nope", 1);
		// @ts-expect-error wrong body type
		await c.queue.send("pings", "one");
		// The actor sends to its internal queues.
		await c.queue.send("retries", { id: "1" });
	},
	onWebSocket: (c, websocket) => {
		// RivetKit's handlers, as its docs write them (a parity sweep, 2026-11-29).
		websocket.addEventListener("open", (event) => expectTypeOf(event.type).toBeString());
		websocket.onmessage = (event) => {
			expectTypeOf(event.data).toEqualTypeOf<string | Uint8Array | ArrayBuffer>();
			websocket.send(event.data);
		};
		websocket.addEventListener("close", (event) => expectTypeOf(event.wasClean).toBeBoolean());
		expectTypeOf(websocket.protocol).toBeString();
		// @ts-expect-error not a WebSocket event
		websocket.addEventListener("opened", () => {});
		expectTypeOf(c.region).toBeString();
	},
	actions: {
		saved: (c) => c.saveState({ immediate: true, maxWait: 100 }),
		kv: async (c) => {
			expectTypeOf(await c.kv.get("k")).toEqualTypeOf<string | null>();
			expectTypeOf(await c.kv.get("k", { type: "binary" })).toEqualTypeOf<Uint8Array | null>();
			expectTypeOf(await c.kv.list("p", { keyType: "binary" })).toEqualTypeOf<
				[Uint8Array, string][]
			>();
		},
		timers: async (c) => {
			expectTypeOf(await c.schedule.after(1_000, "fired")).toEqualTypeOf<string>();
			expectTypeOf(
				await c.cron.every({ name: "n", interval: 5_000, action: "fired" }),
			).toEqualTypeOf<CronJob>();
		},
		fired: (c) => {
			expectTypeOf(c.fire).toEqualTypeOf<FireInfo | undefined>();
		},
		callOthers: async (c) => {
			const other = c.client<typeof registry>().worker.getOrCreate("other");
			expectTypeOf(other.fired).toEqualTypeOf<() => Promise<void>>();
		},
	},
});

const registry = setup({ use: { worker } });

describe("types of queues, KV, schedules and raw handlers", () => {
	it("types handle.send by queue name", () => {
		const checks = async (handle: ActorHandle<typeof worker>) => {
			expectTypeOf(await handle.send("jobs", { id: "1" })).toEqualTypeOf<void>();
			const result = await handle.send("jobs", { id: "1" }, { wait: true, timeout: 1_000 });
			expectTypeOf(result).toEqualTypeOf<QueueSendResult<{ ok: boolean }>>();
			// @ts-expect-error wrong body
			await handle.send("jobs", { id: 1 });
			// @ts-expect-error unknown queue
			await handle.send("other", {});
			// An internal queue is not offered to clients (its sends are refused: auth/forbidden).
			// @ts-expect-error an internal queue
			await handle.send("retries", { id: "1" });
			// A queue that takes no body is sent to without one (a typing walkthrough, 2026-11-29).
			expectTypeOf(await handle.send("ticks")).toEqualTypeOf<void>();
			// @ts-expect-error this queue takes a body
			await handle.send("jobs");
			// `wait` known only when it runs: either answer.
			const flag = Math.random() > 0.5;
			expectTypeOf(await handle.send("jobs", { id: "1" }, { wait: flag })).toEqualTypeOf<
				QueueSendResult<{ ok: boolean }> | undefined
			>();
			expectTypeOf(await handle.fetch("/x")).toEqualTypeOf<Response>();
			expectTypeOf(await handle.webSocket("/x")).toEqualTypeOf<WebSocket>();
		};
		expectTypeOf(checks).toBeFunction();
	});
});
