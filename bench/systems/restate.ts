// Restate: restate-server (from npm) with a `counter` virtual object served
// by the TypeScript SDK. Calls go through the HTTP ingress; Restate has no
// client connections, in-memory objects or events.
import { PlainHttp } from "../lib/http-post.js";
import { startPeer } from "../lib/peers.js";
import type { ServerProcess } from "../lib/process.js";
import { pipelined } from "../lib/workloads.js";
import type { Caller, System } from "./types.js";

export function restateSystem(): System {
	let server: ServerProcess | undefined;
	// Plain HTTP from Node's cheapest client, as Tenon's client calls (lib/http-post.ts).
	const plain = new PlainHttp();
	const increment = async (key: string) => {
		const answer = await plain.send(
			"POST",
			`${(server as ServerProcess).url}/counter/${key}/increment`,
		);
		if (answer.status !== 200) throw new Error(`restate: HTTP ${answer.status}`);
		return JSON.parse(answer.text);
	};
	const caller = async (key: string): Promise<Caller> => {
		await increment(key);
		return { call: () => increment(key), close: async () => {} };
	};

	return {
		name: "Restate (virtual objects)",
		durability: "fsync before reply",
		durabilityDetail:
			"the ingress replies after the invocation's journal and state changes are in restate-server's log (RocksDB WAL with fsync, server defaults)",
		notes: {
			warm: "HTTP keep-alive to the ingress: Restate has no client connections",
			throughput: "256 concurrent HTTP requests over the actors (no pipelining over HTTP/1.1)",
		},
		unsupported: {
			wake: "no in-memory objects: every call loads the object's state",
			memory: "no in-memory objects",
			broadcast: "no connections or events",
			warmRelaxed: "every invocation is journaled before it completes; there is no relaxed mode",
		},
		async start() {
			server = await startPeer("restate.mjs", (dir) => ({ TENON_BENCH_DATA_DIR: dir }));
		},
		async stop() {
			plain.close();
			await server?.stop();
		},
		warmConnection: caller,
		httpAction: caller,
		async createAndCall(key) {
			await increment(key);
		},
		async throughput({ actors, seconds }) {
			const concurrency = 256;
			let next = 0;
			return pipelined(
				Array.from({ length: concurrency }, () => () => increment(`tp-${next++ % actors}`)),
				1,
				seconds,
			);
		},
	};
}
