// The state stream's reads (inspector-state-lines.ts): every stream read and
// encoded the whole state on every commit by itself, also while its reader
// took nothing, and 20 streams of the read-only token on an actor with a 5 MB
// state slowed every other client's calls from 5 ms to 746 ms (an attacker
// probe, 2026-11-28). A stream whose reader is behind reads nothing; streams
// on one actor share one read per commit.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { ActorGateway } from "../../src/runtime/actor-gateway.js";
import { stateStream } from "../../src/server/inspector-stream.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";

const watched = actor({
	state: { count: 0, pad: "x".repeat(10_000) },
	actions: { increment: (c) => ++c.state.count },
});
const registry = setup({ use: { watched }, logLevel: "silent" });

/** A runtime, a gateway whose state reads are counted, and a way to commit. */
async function start() {
	const { runtime, core } = await registry.createRuntime({
		storage: memoryDriver(),
		bindHost: "127.0.0.1",
	});
	const gateway = new ActorGateway(runtime);
	const counts = { reads: 0 };
	const inspector = gateway.inspector;
	Object.defineProperty(gateway, "inspector", {
		value: new Proxy(inspector, {
			get(target, name) {
				const value = Reflect.get(target, name, target);
				if (typeof value !== "function") return value;
				if (name === "state")
					return (...args: Parameters<typeof target.state>) => {
						counts.reads++;
						return target.state(...args);
					};
				return value.bind(target);
			},
		}),
	});
	const increment = async () => {
		const response = await core.fetch(
			new Request(
				"http://127.0.0.1/gateway/watched/action/increment?rvt-method=getOrCreate&rvt-key=k",
				{
					method: "POST",
					headers: { host: "127.0.0.1", "content-type": "application/json" },
					body: JSON.stringify({ args: [] }),
				},
			),
		);
		const { output } = (await response.json()) as { output: number };
		return output;
	};
	await increment();
	const actorId = (await gateway.findActor("default", "watched", ["k"]))?.actorId;
	if (actorId === undefined) throw new Error("no actor");
	return { runtime, gateway, counts, increment, actorId };
}

const caller = { role: "inspector" as const, addressKey: undefined };
const open = (gateway: ActorGateway, actorId: string, signal: AbortSignal) =>
	stateStream(
		new Request(`http://127.0.0.1/inspector/actors/${actorId}/state/stream`, { signal }),
		actorId,
		gateway,
		caller,
	);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("state streams", () => {
	it("read nothing for a reader that takes nothing, and the newest state once it reads", async () => {
		const { runtime, gateway, counts, increment, actorId } = await start();
		const abort = new AbortController();
		const response = open(gateway, actorId, abort.signal);
		await pause(50);
		const before = counts.reads;
		for (let i = 0; i < 8; i++) {
			await increment();
			await pause(130);
		}
		// The first line is queued and not taken: at most one read after it.
		expect(counts.reads - before).toBeLessThanOrEqual(1);
		const reader = response.body?.getReader();
		const first = await reader?.read();
		expect(new TextDecoder().decode(first?.value)).toContain('"count":1');
		const newest = await reader?.read();
		expect(new TextDecoder().decode(newest?.value)).toContain('"count":9');
		abort.abort();
		await runtime.stop();
	});

	it("share one read per commit among the streams on one actor", async () => {
		const { runtime, gateway, counts, increment, actorId } = await start();
		const abort = new AbortController();
		const received: string[][] = [];
		for (let i = 0; i < 6; i++) {
			const lines: string[] = [];
			received.push(lines);
			const reader = open(gateway, actorId, abort.signal).body?.getReader();
			void (async () => {
				for (;;) {
					const next = await reader?.read().catch(() => undefined);
					if (next === undefined || next.done) return;
					lines.push(new TextDecoder().decode(next.value));
				}
			})();
		}
		await pause(50);
		const before = counts.reads;
		for (let i = 0; i < 5; i++) {
			await increment();
			await pause(150);
		}
		// Six streams, five commits: about five reads (each stream alone made its own).
		expect(counts.reads - before).toBeLessThanOrEqual(7);
		for (const lines of received) expect(lines.at(-1)).toContain('"count":6');
		abort.abort();
		await runtime.stop();
	});
});
