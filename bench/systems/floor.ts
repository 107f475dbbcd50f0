import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import { WebSocket } from "ws";
import { PlainHttp } from "../lib/http-post.js";
import { type ServerProcess, startBundled } from "../lib/process.js";
import { rawSocketBroadcast } from "../lib/ws-channel.js";
import type { Caller, System } from "./types.js";

const servers = join(import.meta.dirname, "..", "servers");

/**
 * The machine floor: bare node:http and ws echo servers (no storage, no work).
 * `durable`: the same servers making one durable write (4 KiB, fdatasync)
 * before each reply, the least a durable action can cost on this machine's
 * network and disk together (rows 1 and 2 only). Its name does not start
 * with "floor", so the regression guard keeps comparing with the bare floor.
 */
export function floorSystem(options: { durable?: boolean } = {}): System {
	const durable = options.durable === true;
	let http: ServerProcess | undefined;
	let ws: ServerProcess | undefined;
	let dir: string | undefined;
	const system: System = {
		name: durable
			? "durable floor: node:http / ws echo + one fdatasync"
			: "floor: bare node:http / ws echo",
		durability: durable ? "fsync before reply" : "no write",
		durabilityDetail: durable
			? "the echo servers, each reply after one 4 KiB write and fdatasync of its own (synchronous, as Tenon's commit is): the network path and one device flush"
			: "echo servers that store nothing: the cost of the network path alone",
		async start() {
			const env: Record<string, string> = {};
			if (durable) {
				dir = mkdtempSync(join(tmpdir(), "tenon-bench-floor-"));
				env.FLOOR_SYNC_FILE = join(dir, "http.log");
			}
			http = await startBundled(join(servers, "floor-http.ts"), env);
			if (durable) env.FLOOR_SYNC_FILE = join(dir as string, "ws.log");
			ws = await startBundled(join(servers, "floor-ws.ts"), env);
		},
		async stop() {
			await http?.stop();
			await ws?.stop();
			if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
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
			// The cheapest Node client, as Tenon's client sends its calls from
			// Node since 2026-11-25 (lib/http-post.ts): a floor must not carry
			// work a client can skip.
			const client = new PlainHttp();
			const call = async () => {
				const answer = await client.send("POST", url, '{"args":[]}', {
					"content-type": "application/json",
				});
				return JSON.parse(answer.text);
			};
			await call();
			return { call, close: async () => client.close() };
		},
	};
	if (!durable) {
		system.broadcast = async ({ connections, processes, rounds, signal }) => {
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
		};
	}
	return system;
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
