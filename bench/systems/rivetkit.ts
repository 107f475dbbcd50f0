// RivetKit with its local engine (`registry.start()`), driven by RivetKit's
// own client. HOME points at a temporary directory, which is where the engine
// keeps its data.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spreadFanout } from "../lib/fanout.js";
import { importPeer, peerRequire, startPeer } from "../lib/peers.js";
import type { ServerProcess } from "../lib/process.js";
import { forRange, memoryCurve, pipelined } from "../lib/workloads.js";
import type { Caller, System } from "./types.js";

/** Actors resolved at once while setting up (more time out in the engine). */
const CONNECT_CONCURRENCY = 8;

export function rivetkitSystem(): System {
	let server: (ServerProcess & { dir: string }) | undefined;
	// RivetKit's client is untyped here: its registry type lives in a .mjs peer.
	let client: any;

	return {
		name: "RivetKit (local engine)",
		durability: "engine store write before reply",
		durabilityDetail:
			"the action awaits `c.saveState({ immediate: true })`, which returns once the engine has written the state to its file-system store (RivetKit otherwise saves every second, after the reply)",
		notes: {
			warm: "RivetKit client connection",
			wake: "c.sleep(), then the next action wakes it",
			memory: "RSS of the runner, engine and services processes",
		},
		unsupported: {
			serverFanout: "no probe inside RivetKit's runner and engine",
		},
		relaxedDurability: "RivetKit's default: saved within 1 s, after the reply",
		async start() {
			const peer = await startPeer("rivetkit.mjs", (home) => ({
				HOME: home,
				RIVET_LOG_LEVEL: "error",
			}));
			server = peer;
			// The client logs every failed request at "warn"; keep the run's output readable.
			process.env.RIVET_LOG_LEVEL ??= "error";
			const { createClient } = await importPeer("rivetkit/client");
			client = createClient(peer.url);
		},
		async stop() {
			await client?.dispose?.();
			// The engine runs detached from the runner; make sure it is gone.
			try {
				const home = server?.dir ?? "";
				const runtime = JSON.parse(
					readFileSync(join(home, ".rivetkit", "var", "engine", "runtime.json"), "utf8"),
				) as { pid?: number };
				if (runtime.pid) process.kill(runtime.pid, "SIGKILL");
			} catch {
				// Not started, or already stopped.
			}
			await server?.stop();
		},
		async warmConnection(key): Promise<Caller> {
			const conn = client.counter.getOrCreate([key]).connect();
			await conn.increment();
			return { call: () => conn.increment(), close: () => conn.dispose() };
		},
		async warmRelaxed(key): Promise<Caller> {
			const conn = client.counter.getOrCreate([key]).connect();
			await conn.incrementRelaxed();
			return { call: () => conn.incrementRelaxed(), close: () => conn.dispose() };
		},
		async httpAction(key): Promise<Caller> {
			const handle = client.counter.getOrCreate([key]);
			await handle.increment();
			return { call: () => handle.increment(), close: async () => {} };
		},
		async createAndCall(key) {
			await client.counter.getOrCreate([key]).increment();
		},
		async sleep(keys) {
			for (const key of keys) {
				const handle = client.counter.getOrCreate([key]);
				await handle.increment();
				await handle.sleepNow();
			}
			await new Promise((resolve) => setTimeout(resolve, 1_000));
		},
		async wakeAndCall(key) {
			await client.counter.getOrCreate([key]).increment();
		},
		async throughput({ actors, depth, seconds, signal }) {
			// The engine times out when too many actors resolve at once: connect a few at a time.
			const conns: any[] = [];
			await forRange(0, actors, CONNECT_CONCURRENCY, async (i) => {
				const conn = client.counter.getOrCreate([`tp-${i}`]).connect();
				conns.push(conn);
				await conn.increment();
			});
			const perSecond = await pipelined(
				conns.map((conn: any) => () => conn.increment()),
				depth,
				seconds,
				signal,
			);
			await Promise.all(conns.map((conn: any) => conn.dispose()));
			return perSecond;
		},
		async memory({ counts, budgetMs, signal, report }) {
			const srv = server as ServerProcess;
			return memoryCurve({
				counts,
				budgetMs,
				concurrency: CONNECT_CONCURRENCY,
				touch: (i) => client.idle.getOrCreate([`idle-${i}`]).touch(),
				measure: async () => srv.rss(),
				signal,
				report,
			});
		},
		async broadcast({ connections, processes, rounds, signal }) {
			// The receivers use RivetKit's own client, from the peers' node_modules;
			// they connect a few at a time (the engine drops connections opened all at once).
			const trigger = client.room.getOrCreate(["fanout"]).connect();
			await trigger.noop();
			try {
				return await spreadFanout({
					receivers: {
						kind: "actor",
						client: pathToFileURL(peerRequire.resolve("rivetkit/client")).href,
						endpoint: (server as ServerProcess).url,
						actor: "room",
						key: ["fanout"],
						openConcurrency: CONNECT_CONCURRENCY,
					},
					connections,
					processes,
					rounds,
					signal,
					trigger: (round) => trigger.ping(round),
				});
			} finally {
				await trigger.dispose();
			}
		},
	};
}
