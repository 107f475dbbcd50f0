// A Yjs edit from one client to another through the server, Tenon's Yjs
// actor (tenon/yjs) next to the reference Yjs server (@y/websocket-server,
// documents in memory) in the same run:
//   Y1. one client inserts a character; time until the other client's
//       document has it (Tenon passes an update on once it is stored);
//   Y1b. Tenon only: time until the sender's update is acknowledged durable.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import * as Y from "yjs";
import { createClient } from "../../packages/tenon/src/client/index.js";
import { TenonYjsProvider } from "../../packages/tenon/src/yjs/provider.js";
import { ensurePeers, importPeer, startPeer } from "../lib/peers.js";
import { startBundled } from "../lib/process.js";
import { progress } from "../lib/progress.js";
import type { BenchRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";
import type { benchRegistry } from "../servers/tenon.js";

const SAMPLES = { quick: 50, full: 300 };
const WORKLOAD = "Y1. Yjs edit from one client to another through the server";

/** Inserts one character in `from` and waits until `to` has it. */
async function roundTrips(
	from: { insert(): void },
	to: { onChange(listener: () => void): () => void },
	samples: number,
): Promise<number[]> {
	const out: number[] = [];
	for (let i = 0; i < samples + 10; i++) {
		const ms = await time(
			() =>
				new Promise<void>((resolve) => {
					const off = to.onChange(() => {
						off();
						resolve();
					});
					from.insert();
				}),
		);
		if (i >= 10) out.push(ms);
	}
	return out;
}

/** A text of a Y.Doc (from whichever copy of yjs made it) as the workload drives it. */
function ends(text: {
	insert(index: number, content: string): void;
	length: number;
	observe(f: () => void): void;
	unobserve(f: () => void): void;
}) {
	return {
		insert: () => text.insert(text.length, "x"),
		onChange(listener: () => void) {
			text.observe(listener);
			return () => text.unobserve(listener);
		},
	};
}

async function tenonRows(samples: number): Promise<BenchRow[]> {
	const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-yjs-"));
	const server = await startBundled(join(import.meta.dirname, "..", "servers", "tenon.ts"), {
		TENON_DATA_DIR: dataDir,
		TENON_LOG_LEVEL: "error",
	});
	const client = createClient<typeof benchRegistry>({ messageRate: false, endpoint: server.url });
	try {
		const docs = [new Y.Doc(), new Y.Doc()] as const;
		const providers = docs.map(
			(doc) => new TenonYjsProvider(doc, client.note.getOrCreate("bench").connect()),
		);
		await Promise.all(providers.map((provider) => provider.whenSynced()));
		const a = ends(docs[0].getText("t"));
		const b = ends(docs[1].getText("t"));
		const trips = await roundTrips(a, b, samples);
		const acks: number[] = [];
		for (let i = 0; i < samples; i++)
			acks.push(
				await time(async () => {
					a.insert();
					await (providers[0] as TenonYjsProvider).flushed();
				}),
			);
		for (const provider of providers) provider.destroy();
		const base = { suite: "yjs", system: "Tenon (lmdb)", durability: "stored before passed on" };
		return [
			{ ...base, workload: WORKLOAD, summary: summarize(trips) },
			{
				...base,
				workload: "Y1b. Yjs edit acknowledged durable to its sender",
				summary: summarize(acks),
				note: "the update is in the actor's storage (fsync) when the sender hears back",
			},
		];
	} finally {
		await client.dispose();
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

async function yWebsocketRows(samples: number): Promise<BenchRow[]> {
	const server = await startPeer("y-websocket.mjs", () => ({}));
	try {
		// The peer's own copy of yjs (y-websocket's provider uses it), kept apart
		// from Tenon's: documents never cross. Yjs warns when a second copy loads
		// in one process; the flag it checks is cleared so the table stays clean.
		delete (globalThis as Record<string, unknown>)["__ $YJS$ __"];
		const PeerY = await importPeer("yjs");
		const { WebsocketProvider } = await importPeer("y-websocket");
		const docs = [new PeerY.Doc(), new PeerY.Doc()];
		const url = server.url.replace(/^http/, "ws");
		const providers = docs.map(
			(doc) =>
				new WebsocketProvider(url, "bench", doc, { WebSocketPolyfill: WebSocket, disableBc: true }),
		);
		await Promise.all(
			providers.map(
				(provider) =>
					new Promise<void>((resolve) => {
						if (provider.synced) resolve();
						else provider.once("sync", () => resolve());
					}),
			),
		);
		const trips = await roundTrips(ends(docs[0].getText("t")), ends(docs[1].getText("t")), samples);
		for (const provider of providers) provider.destroy();
		return [
			{
				suite: "yjs",
				workload: WORKLOAD,
				system: "y-websocket server (@y/websocket-server)",
				durability: "memory only",
				summary: summarize(trips),
				note: "the reference Yjs server, documents in memory (nothing stored)",
			},
		];
	} finally {
		await server.stop();
	}
}

export async function yjsSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	const samples = options.quick ? SAMPLES.quick : SAMPLES.full;
	progress("yjs › Tenon (lmdb)");
	const rows = await tenonRows(samples);
	// Quick runs (the smoke test) measure Tenon only, like the other suites.
	if (options.quick) return rows;
	const failure = ensurePeers();
	progress("yjs › y-websocket server");
	if (failure !== undefined)
		rows.push({
			suite: "yjs",
			workload: WORKLOAD,
			system: "y-websocket server (@y/websocket-server)",
			durability: "memory only",
			summary: summarize([]),
			unsupported: failure,
		});
	else rows.push(...(await yWebsocketRows(samples)));
	return rows;
}
