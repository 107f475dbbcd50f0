import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import { WebSocket } from "ws";
import { type ServerProcess, startBundled } from "../lib/process.js";
import { rawSocketBroadcast } from "../lib/ws-channel.js";
import type { Caller, System } from "./types.js";

const servers = join(import.meta.dirname, "..", "servers");

/** The machine floor: bare node:http and ws echo servers (no storage, no work). */
export function floorSystem(): System {
	let http: ServerProcess | undefined;
	let ws: ServerProcess | undefined;
	return {
		name: "floor: bare node:http / ws echo",
		durability: "no write",
		durabilityDetail: "echo servers that store nothing: the cost of the network path alone",
		async start() {
			http = await startBundled(join(servers, "floor-http.ts"));
			ws = await startBundled(join(servers, "floor-ws.ts"));
		},
		async stop() {
			await http?.stop();
			await ws?.stop();
		},
		async warmConnection(): Promise<Caller> {
			const socket = new WebSocket((ws as ServerProcess).url, { perMessageDeflate: false });
			await new Promise((resolve, reject) => {
				socket.once("open", resolve);
				socket.once("error", reject);
			});
			let waiting: (() => void) | undefined;
			socket.on("message", () => waiting?.());
			return {
				call: () =>
					new Promise<void>((resolve) => {
						waiting = resolve;
						socket.send("inc");
					}),
				close: async () => socket.close(),
			};
		},
		async httpAction(): Promise<Caller> {
			const url = `${(http as ServerProcess).url}/action/increment`;
			const call = async () => {
				const response = await fetch(url, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body: '{"args":[]}',
				});
				return response.json();
			};
			await call();
			return { call, close: async () => {} };
		},
		async broadcast({ connections, processes, rounds, signal }) {
			const server = ws as ServerProcess;
			return rawSocketBroadcast({
				url: server.url,
				connections,
				processes,
				rounds,
				openConcurrency: 64,
				probe: /MEMORY (\S+)/.exec(server.output)?.[1] ?? "",
				signal,
			});
		},
	};
}

/**
 * The machine's durable-commit floor: one LMDB write transaction committed
 * and synced to disk, with the settings Tenon's LMDB driver uses.
 */
export async function lmdbCommitFloor(samples: number): Promise<number[]> {
	const dir = mkdtempSync(join(tmpdir(), "tenon-bench-lmdb-"));
	const db = open({ path: dir, overlappingSync: false });
	try {
		const times: number[] = [];
		for (let i = 0; i < samples; i++) {
			const started = performance.now();
			db.transactionSync(() => db.putSync(`k${i % 100}`, i));
			times.push(performance.now() - started);
		}
		return times;
	} finally {
		await db.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
