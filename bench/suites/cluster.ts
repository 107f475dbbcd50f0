// Cluster mode on PostgreSQL (synchronous_commit=on): action latency and
// throughput through one node and through three nodes, in the same run.
import postgres from "postgres";
import { createClient } from "tenon/client";
import type { registry } from "../fixtures/registry.js";
import { startNode } from "../lib/nodes.js";
import { progress } from "../lib/progress.js";
import type { BenchRow } from "../lib/report.js";
import { summarize, time } from "../lib/stats.js";

const POSTGRES_URL =
	process.env.TENON_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REGISTRY = "bench/fixtures/registry.ts";

type Client = ReturnType<typeof createClient<typeof registry>>;

async function latency(client: Client, key: string, samples: number): Promise<number[]> {
	const conn = client.counter.getOrCreate(key).connect();
	await conn.increment(); // wake and warm up
	const out: number[] = [];
	for (let i = 0; i < samples; i++) out.push(await time(() => conn.increment()));
	await conn.dispose();
	return out;
}

/** Actions/s with `concurrency` callers over `actors` actors, through `clients` in turn. */
async function throughput(
	clients: Client[],
	actors: number,
	concurrency: number,
	seconds: number,
): Promise<number> {
	const conns = Array.from({ length: actors }, (_, i) =>
		(clients[i % clients.length] as Client).counter.getOrCreate(`t-${i}`).connect(),
	);
	await Promise.all(conns.map((conn) => conn.increment()));
	let done = 0;
	const until = performance.now() + seconds * 1000;
	await Promise.all(
		Array.from({ length: concurrency }, async (_, worker) => {
			for (let i = worker; performance.now() < until; i += concurrency) {
				await (conns[i % actors] as (typeof conns)[number]).increment();
				done++;
			}
		}),
	);
	await Promise.all(conns.map((conn) => conn.dispose()));
	return done / seconds;
}

export async function clusterSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	if (options.quick) return [];
	const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
	const [{ synchronous_commit: sync } = { synchronous_commit: "?" }] =
		await admin`SHOW synchronous_commit`;
	const rows: BenchRow[] = [];
	for (const nodeCount of [1, 3]) {
		progress(`cluster › ${nodeCount} node${nodeCount === 1 ? "" : "s"}`);
		const schema = `tenon_bench_${nodeCount}_${Date.now()}`;
		const nodes = [];
		for (let i = 0; i < nodeCount; i++) {
			nodes.push(await startNode(REGISTRY, ["--postgres", POSTGRES_URL, "--schema", schema]));
		}
		const clients = nodes.map((node) =>
			createClient<typeof registry>({ messageRate: false, endpoint: node.url }),
		);
		try {
			const label = `${nodeCount} node${nodeCount === 1 ? "" : "s"} (PostgreSQL, synchronous_commit=${sync})`;
			const durability = "PostgreSQL commit (WAL flush) before reply";
			const direct = await latency(clients[0] as Client, "lat-direct", 1_000);
			rows.push({
				suite: "cluster",
				workload: "warm action over a connection, owner node",
				system: `Tenon ${label}`,
				durability,
				summary: summarize(direct),
			});
			if (nodeCount > 1) {
				// Owned by node 1 (created there), called through node 2: passed through.
				await (clients[0] as Client).counter.getOrCreate("lat-forwarded").increment();
				const forwarded = await latency(clients[1] as Client, "lat-forwarded", 1_000);
				rows.push({
					suite: "cluster",
					workload: "warm action over a connection, through another node",
					system: `Tenon ${label}`,
					durability,
					summary: summarize(forwarded),
				});
			}
			const perSecond = await throughput(clients, 100, 64, 5);
			rows.push({
				suite: "cluster",
				workload: "throughput: 100 actors, 64 concurrent callers",
				system: `Tenon ${label}`,
				durability,
				summary: summarize([1_000 / perSecond]),
				rate: perSecond,
			});
		} finally {
			for (const client of clients) await client.dispose();
			for (const node of nodes) await node.stop();
			await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
		}
	}
	await admin.end();
	return rows;
}
