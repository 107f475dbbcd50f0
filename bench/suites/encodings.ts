// The three wire encodings side by side, in one run: a durable action over a
// connection and a stateless HTTP action, from Tenon's client and from
// RivetKit's unmodified client (whose default is BARE), against one Tenon
// server on LMDB; and the server's own cost to decode a request frame and
// encode its answer. Rows compare within the run only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actor, lmdbDriver, setup } from "tenon";
import { createClient } from "tenon/client";
import type { Encoding } from "../../packages/tenon/src/protocol/encoding.js";
import {
	decodeToServer,
	encodeToClient,
	encodeToServer,
} from "../../packages/tenon/src/protocol/messages.js";
import { progress } from "../lib/progress.js";
import type { BenchRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";

const ENCODINGS: Encoding[] = ["bare", "cbor", "json"];

const wire = actor({
	state: { count: 0, items: [] as { id: number; name: string; tags: string[] }[] },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			return c.state.count;
		},
		/** A typical small document: what a UI reads. */
		read: (c) => ({ count: c.state.count, items: c.state.items }),
		seed: (c, n: number) => {
			c.state.items = Array.from({ length: n }, (_, id) => ({
				id,
				name: `item ${id}`,
				tags: ["a", "b"],
			}));
			return n;
		},
	},
	options: { noSleep: true },
});

interface Caller {
	increment(by: number): Promise<unknown>;
	read(): Promise<unknown>;
}

async function sample(calls: number, call: () => Promise<unknown>): Promise<number[]> {
	for (let i = 0; i < Math.min(50, calls); i++) await call(); // warm up
	const samples: number[] = [];
	for (let i = 0; i < calls; i++) samples.push(await time(call));
	return samples;
}

/** Server-side cost of one request frame decoded and its answer encoded (µs per pair). */
function codecCost(encoding: Encoding, rounds: number): number[] {
	const items = Array.from({ length: 20 }, (_, id) => ({ id, name: `item ${id}`, tags: ["a"] }));
	const request = encodeToServer(encoding, {
		tag: "ActionRequest",
		id: 7,
		name: "read",
		args: [1],
	});
	const samples: number[] = [];
	for (let batch = 0; batch < rounds; batch++) {
		const started = performance.now();
		for (let i = 0; i < 1_000; i++) {
			const decoded = decodeToServer(encoding, request, 256);
			if (!decoded.ok) throw new Error("the bench frame did not decode");
			encodeToClient(encoding, { tag: "ActionResponse", id: 7, output: { count: i, items } });
		}
		samples.push(performance.now() - started); // ms per 1,000 = µs per pair
	}
	return samples;
}

export async function encodingsSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	const calls = options.quick ? 200 : 2_000;
	const dir = mkdtempSync(join(tmpdir(), "tenon-bench-encodings-"));
	// Thousands of calls a second on one connection: past the default abuse limit on purpose.
	const registry = setup({ use: { wire }, logLevel: "warn", rateLimits: { perConnection: false } });
	const server = await registry.start({
		port: 0,
		host: "127.0.0.1",
		storage: lmdbDriver({ path: dir }),
	});
	const rows: BenchRow[] = [];
	const durability = "LMDB fsync before reply";
	try {
		const { createClient: createRivetClient } = await import("rivetkit/client");
		// Two passes, the first thrown away: whichever encoding ran first
		// otherwise paid for the server's and the clients' JIT warm-up
		// (a 1.5x difference on the HTTP row, seen by reordering them).
		for (const pass of ["warm-up", "measured"] as const)
			for (const encoding of ENCODINGS) {
				const record = (row: BenchRow) => {
					if (pass === "measured") rows.push(row);
				};
				const tenon = createClient<typeof registry>({
					messageRate: false,
					endpoint: server.url,
					encoding,
				});
				// `any`: RivetKit's client does not know Tenon's registry types.
				const rivet: any = createRivetClient({ endpoint: server.url, encoding } as never);
				try {
					for (const [client, name] of [
						[tenon, "Tenon client"],
						[rivet, "RivetKit client"],
					] as const) {
						progress(`encodings › ${encoding} › ${name} (${pass})`);
						const handle = (client as any).wire.getOrCreate([`${name}-${encoding}-${pass}`]);
						await handle.seed(20);
						const conn: Caller = handle.connect();
						await conn.increment(0);
						record({
							suite: "encodings",
							workload: `durable action over a connection (${name})`,
							system: `Tenon server, ${encoding}`,
							durability,
							summary: summarize(await sample(calls, () => conn.increment(1))),
						});
						record({
							suite: "encodings",
							workload: `read 20 items over a connection (${name})`,
							system: `Tenon server, ${encoding}`,
							durability: "read",
							summary: summarize(await sample(calls, () => conn.read())),
						});
						record({
							suite: "encodings",
							workload: `stateless HTTP action (${name})`,
							system: `Tenon server, ${encoding}`,
							durability: "read",
							summary: summarize(await sample(calls / 2, () => handle.read())),
						});
						await (conn as unknown as { dispose(): Promise<void> }).dispose();
					}
				} finally {
					await tenon.dispose();
					await rivet.dispose();
				}
			}
		for (const encoding of ENCODINGS) codecCost(encoding, options.quick ? 5 : 50); // warm-up
		for (const encoding of ENCODINGS) {
			rows.push({
				suite: "encodings",
				workload: "server codec: decode a request frame, encode a 20-item answer (µs shown as ms)",
				system: `Tenon server, ${encoding}`,
				durability: "none",
				summary: summarize(codecCost(encoding, options.quick ? 20 : 200)),
			});
		}
		return rows;
	} finally {
		await server.close();
		rmSync(dir, { recursive: true, force: true });
	}
}
