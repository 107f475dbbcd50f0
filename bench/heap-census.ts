// Which objects an awake idle actor keeps: wakes N idle actors (one HTTP
// action each, the very request row 6 sends) in this process, then compares heap snapshots
// taken before and after by constructor name (count and self size).
//   npx tsx --conditions=tenon-source bench/heap-census.ts [actors]
// It runs itself bundled like the bench servers (tsx keeps function names
// with a runtime call that gives every function a property dictionary, which
// would dominate the census).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actor, lmdbDriver, setup } from "tenon";
import { createClient } from "tenon/client";
import { captureRequest, RequestReplay } from "./lib/http-replay.js";
import { forRange } from "./lib/workloads.js";

if (process.env.TENON_CENSUS_BUNDLED !== "1") {
	const { bundle } = await import("./lib/process.js");
	const file = await bundle(import.meta.filename);
	const result = spawnSync(process.execPath, ["--expose-gc", file, ...process.argv.slice(2)], {
		stdio: "inherit",
		env: { ...process.env, TENON_CENSUS_BUNDLED: "1" },
	});
	process.exit(result.status ?? 1);
}
const count = Number(process.argv[2] ?? 5_000);
const idle = actor({
	state: { n: 0 },
	actions: { touch: (c) => c.state.n },
	options: { sleepTimeout: 3_600_000 },
});
const registry = setup({
	use: { idle },
	logLevel: "error",
	rateLimits: { perConnection: false },
	limits: { maxAwakeActors: 250_000 },
});
const dataDir = mkdtempSync(join(tmpdir(), "tenon-census-"));
const server = await registry.start({
	port: 0,
	host: "127.0.0.1",
	storage: lmdbDriver({ path: dataDir }),
});

let censusCount = 0;
type Census = Map<string, { count: number; size: number }>;
/**
 * What the census keeps between its snapshots, in one object the next
 * snapshot finds by its class name: the tables of the first snapshot were
 * made after it, so they are new objects in the second (their keys alone
 * were about 100,000 concatenated strings), and are left out of its counts.
 */
class CensusData {
	/** Ids of the objects in the previous snapshot: the next one's other objects are new. */
	previousIds: Set<number> | undefined;
	/** New objects of the last snapshot by what holds them (type:name <- owner.edge), and where closures were made. */
	readonly owners: Census = new Map();
	/** The census of the first snapshot. */
	before: Census | undefined;
}
const data = new CensusData();
const owners = data.owners;
/**
 * A full GC, then another once finalizers had their turn: objects only a
 * FinalizationRegistry's pending cleanup still holds (undici's Request keeps
 * its parent signal and an abort listener that way) are garbage a server
 * frees at its next turn, not memory an actor keeps. CENSUS_ONE_GC=1: one GC.
 */
async function collect(): Promise<void> {
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	if (process.env.CENSUS_ONE_GC === "1") return;
	await new Promise((resolve) => setTimeout(resolve, 50));
	gc?.();
}

async function census(): Promise<Map<string, { count: number; size: number }>> {
	await collect();
	const session = new Session();
	session.connect();
	let json = "";
	session.on("HeapProfiler.addHeapSnapshotChunk", (m) => {
		json += m.params.chunk;
	});
	const scripts = new Map<string, string>();
	session.on("Debugger.scriptParsed", (m) => {
		scripts.set(m.params.scriptId, m.params.url);
	});
	await session.post("Debugger.enable");
	await session.post("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
	await session.post("Debugger.disable");
	session.disconnect();
	if (process.env.CENSUS_DUMP)
		(await import("node:fs")).writeFileSync(process.env.CENSUS_DUMP, json);
	const snapshot = JSON.parse(json);
	// The session (kept by the inspector after its disconnect) keeps its
	// listeners, and this one the snapshot's text, a chain of about 100,000
	// concatenated strings: the next census counted them as new objects.
	session.removeAllListeners();
	json = "";
	const meta = snapshot.snapshot.meta;
	const fields: string[] = meta.node_fields;
	const types: string[] = meta.node_types[0];
	const stride = fields.length;
	const nodes: number[] = snapshot.nodes;
	const strings: string[] = snapshot.strings;
	const out = new Map<string, { count: number; size: number }>();
	const samples: string[] = [];
	// Where each closure was defined (script id, line, column), from the snapshot's locations.
	const locationOf = new Map<number, string>();
	const locations: number[] = snapshot.locations ?? [];
	const locationFields: string[] = meta.location_fields ?? [];
	for (let l = 0; l < locations.length; l += locationFields.length) {
		locationOf.set(
			locations[l] as number,
			`${(scripts.get(String(locations[l + 1])) ?? String(locations[l + 1])).split("/src/").pop()}:${(locations[l + 2] as number) + 1}:${locations[l + 3]}`,
		);
	}
	// Who holds the property backing stores: "(object properties)" by owner name.
	const edgeFields: string[] = meta.edge_fields;
	const edgeStride = edgeFields.length;
	const edges: number[] = snapshot.edges;
	const edgeCountField = fields.indexOf("edge_count");
	const excluded = censusOwn(snapshot);
	let edgeIndex = 0;
	for (let i = 0; i < nodes.length; i += stride) {
		if (excluded.has(i)) {
			edgeIndex += (nodes[i + edgeCountField] as number) * edgeStride;
			continue;
		}
		const ownerName = strings[nodes[i + fields.indexOf("name")] as number] ?? "";
		const ownerType = types[nodes[i + fields.indexOf("type")] as number];
		const n = nodes[i + edgeCountField] as number;
		for (let e = 0; e < n; e++) {
			const to = edges[edgeIndex + e * edgeStride + edgeFields.indexOf("to_node")] as number;
			const toName = strings[nodes[to + fields.indexOf("name")] as number] ?? "";
			if (
				toName === "(object properties)" &&
				ownerType === "object" &&
				(nodes[to + fields.indexOf("self_size")] as number) > 1000
			) {
				// A sample of the functions that own such stores: their named properties.
				const names: string[] = [];
				for (let f = 0; f < n; f++) {
					const edgeType = meta.edge_types[0][edges[edgeIndex + f * edgeStride] as number];
					const nameOrIndex = edges[edgeIndex + f * edgeStride + 1] as number;
					if (edgeType === "property" || edgeType === "internal")
						names.push(`${edgeType}:${strings[nameOrIndex]}`);
				}
				samples.push(`${ownerName || "(anonymous)"} -> ${names.join(", ")}`);
			}
			const toType = types[nodes[to + fields.indexOf("type")] as number];
			if (toType === "array" || toType === "object" || toType === "concatenated string") {
				const edgeType = meta.edge_types[0][edges[edgeIndex + e * edgeStride] as number];
				const edgeName =
					edgeType === "element" || edgeType === "hidden"
						? "[]"
						: strings[edges[edgeIndex + e * edgeStride + 1] as number];
				const at = `ref ${toType}:${toName.slice(0, 20)} <- ${ownerType}:${ownerName.slice(0, 30)}.${edgeName}`;
				const entry = out.get(at) ?? { count: 0, size: 0 };
				entry.count++;
				entry.size += nodes[to + fields.indexOf("self_size")] as number;
				out.set(at, entry);
			}
			if (toName === "(object properties)" && ownerType === "closure") {
				const where = locationOf.get(i) ?? "?";
				const at = `props-at ${where}`;
				const entry = out.get(at) ?? { count: 0, size: 0 };
				entry.count++;
				entry.size += nodes[to + fields.indexOf("self_size")] as number;
				out.set(at, entry);
			}
			if (toName === "(object properties)") {
				const key = `props-of ${ownerType}:${ownerName.slice(0, 50)}`;
				const entry = out.get(key) ?? { count: 0, size: 0 };
				entry.count++;
				entry.size += nodes[to + fields.indexOf("self_size")] as number;
				out.set(key, entry);
			}
		}
		edgeIndex += n * edgeStride;
	}
	newObjectOwners(snapshot, locationOf, excluded);
	if (process.env.CENSUS_SAMPLES && censusCount++ === 1)
		for (const sample of samples.slice(-6)) console.log("sample:", sample);
	for (let i = 0; i < nodes.length; i += stride) {
		if (excluded.has(i)) continue;
		const type = types[nodes[i + fields.indexOf("type")] as number];
		const name = strings[nodes[i + fields.indexOf("name")] as number] ?? "";
		const key = `${type}:${type === "object" || type === "closure" ? name : type === "string" ? "" : name.slice(0, 40)}`;
		const entry = out.get(key) ?? { count: 0, size: 0 };
		entry.count++;
		entry.size += nodes[i + fields.indexOf("self_size")] as number;
		out.set(key, entry);
	}
	return out;
}

/** Where a heap snapshot keeps what the census reads: field offsets, type names, the arrays. */
function layoutOf(snapshot: any) {
	const meta = snapshot.snapshot.meta;
	const fields: string[] = meta.node_fields;
	const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = [
		"type",
		"name",
		"id",
		"self_size",
		"edge_count",
	].map((field) => fields.indexOf(field)) as [number, number, number, number, number];
	return {
		stride: fields.length,
		typeAt,
		nameAt,
		idAt,
		sizeAt,
		edgeCountAt,
		nodeTypes: meta.node_types[0] as string[],
		edgeTypes: meta.edge_types[0] as string[],
		edgeStride: meta.edge_fields.length as number,
		nodes: snapshot.nodes as number[],
		edges: snapshot.edges as number[],
		strings: snapshot.strings as string[],
	};
}

/**
 * The census's own objects in this snapshot (node offsets): what is new since
 * the previous snapshot and reachable from its {@link CensusData}.
 */
function censusOwn(snapshot: any): Set<number> {
	const own = new Set<number>();
	const previous = data.previousIds;
	if (previous === undefined) return own;
	const layout = layoutOf(snapshot);
	const { stride, typeAt, nameAt, idAt, edgeCountAt, nodeTypes, edgeTypes, edgeStride } = layout;
	const { nodes, edges, strings } = layout;
	const firstEdge = new Map<number, number>();
	let root: number | undefined;
	let at = 0;
	for (let i = 0; i < nodes.length; i += stride) {
		firstEdge.set(i, at);
		at += (nodes[i + edgeCountAt] as number) * edgeStride;
		if (
			nodeTypes[nodes[i + typeAt] as number] === "object" &&
			strings[nodes[i + nameAt] as number] === "CensusData"
		)
			root = i;
	}
	if (root === undefined) {
		console.warn("census: CensusData not found in the snapshot; its tables count as new objects");
		return own;
	}
	const stack = [root];
	while (stack.length > 0) {
		const node = stack.pop() as number;
		const first = firstEdge.get(node) as number;
		for (let e = 0; e < (nodes[node + edgeCountAt] as number); e++) {
			const edge = first + e * edgeStride;
			const edgeType = edgeTypes[edges[edge] as number];
			if (edgeType === "weak" || edgeType === "shortcut") continue;
			const to = edges[edge + 2] as number;
			if (own.has(to) || previous.has(nodes[to + idAt] as number)) continue;
			own.add(to);
			stack.push(to);
		}
	}
	return own;
}

/**
 * Groups the objects that are new since the previous snapshot by their first
 * retainer that is itself new (else any strong retainer): `type:name <-
 * ownerType:ownerName.edge`, closures with where they were defined. This
 * tells which code allocated what an actor keeps, where the constructor
 * census only says what it is.
 */
function newObjectOwners(
	snapshot: any,
	locationOf: Map<number, string>,
	excluded: ReadonlySet<number>,
): void {
	const layout = layoutOf(snapshot);
	const { stride, typeAt, nameAt, idAt, sizeAt, edgeCountAt, nodeTypes, edgeTypes, edgeStride } =
		layout;
	const { nodes, edges, strings } = layout;
	const ids = new Set<number>();
	for (let i = 0; i < nodes.length; i += stride) ids.add(nodes[i + idAt] as number);
	const before = data.previousIds;
	data.previousIds = ids;
	if (before === undefined) return;
	const isNew = (node: number) => !before.has(nodes[node + idAt] as number);
	// Owner of each new node: [owner node, edge label], a new owner preferred.
	const ownerOf = new Map<number, [number, string, boolean]>();
	let edgeIndex = 0;
	for (let i = 0; i < nodes.length; i += stride) {
		const n = nodes[i + edgeCountAt] as number;
		const ownerIsNew = isNew(i);
		for (let e = 0; e < n; e++) {
			const at = edgeIndex + e * edgeStride;
			const edgeType = edgeTypes[edges[at] as number];
			if (edgeType === "weak" || edgeType === "shortcut") continue;
			const to = edges[at + 2] as number;
			if (!isNew(to)) continue;
			const known = ownerOf.get(to);
			if (known !== undefined && (known[2] || !ownerIsNew)) continue;
			const label =
				edgeType === "element" || edgeType === "hidden"
					? "[]"
					: String(strings[edges[at + 1] as number]);
			ownerOf.set(to, [i, label, ownerIsNew]);
		}
		edgeIndex += n * edgeStride;
	}
	const describe = (node: number) => {
		const type = nodeTypes[nodes[node + typeAt] as number];
		const name = type === "string" ? "" : strings[nodes[node + nameAt] as number]?.slice(0, 40);
		return type === "closure"
			? `${type}:${name}@${locationOf.get(node) ?? "?"}`
			: `${type}:${name}`;
	};
	owners.clear();
	// CENSUS_SAMPLE=<type:name>: the property names of a few objects holding new objects of that kind.
	const sampleOf = process.env.CENSUS_SAMPLE;
	let sampled = 0;
	const firstEdgeOf = new Map<number, number>();
	if (sampleOf !== undefined) {
		let at = 0;
		for (let i = 0; i < nodes.length; i += stride) {
			firstEdgeOf.set(i, at);
			at += (nodes[i + edgeCountAt] as number) * edgeStride;
		}
	}
	for (let i = 0; i < nodes.length; i += stride) {
		if (!isNew(i) || excluded.has(i)) continue;
		if (sampleOf !== undefined && describe(i) === sampleOf && sampled < 8) {
			const owner = ownerOf.get(i)?.[0];
			if (owner !== undefined) {
				sampled++;
				const first = firstEdgeOf.get(owner) as number;
				const names: string[] = [];
				for (let e = 0; e < (nodes[owner + edgeCountAt] as number); e++) {
					const at = first + e * edgeStride;
					const type = edgeTypes[edges[at] as number];
					if (type === "property" || type === "internal")
						names.push(
							`${String(strings[edges[at + 1] as number])}=${describe(edges[at + 2] as number)}`,
						);
				}
				// CENSUS_SAMPLE_DEPTH=<n>: and the chain of owners above it.
				const chain: string[] = [];
				let below = owner;
				for (let d = 0; d < Number(process.env.CENSUS_SAMPLE_DEPTH ?? 0); d++) {
					const above = ownerOf.get(below);
					if (above === undefined) break;
					chain.push(`${describe(above[0])}.${above[1]}`);
					below = above[0];
				}
				console.log(
					`sample ${describe(owner)}: ${names.join(", ")}${chain.length ? ` <- ${chain.join(" <- ")}` : ""}`,
				);
			}
		}
		const owner = ownerOf.get(i);
		const key = `${describe(i)} <- ${owner === undefined ? "(no strong retainer)" : `${describe(owner[0])}.${owner[1]}`}`;
		const entry = owners.get(key) ?? { count: 0, size: 0 };
		entry.count++;
		entry.size += nodes[i + sizeAt] as number;
		owners.set(key, entry);
	}
}

// The request Tenon's client sends for `touch`, replayed per key over 64
// keep-alive node:http sockets, as row 6 does: the client's own objects
// (fetch, its pools) would otherwise share the heap being measured.
const touch = new RequestReplay(
	await captureRequest((fetch) =>
		createClient<typeof registry>({
			messageRate: false,
			endpoint: server.url,
			encoding: "cbor",
			fetch,
		})
			.idle.getOrCreate("a0")
			.touch(),
	),
	64,
);
async function wake(from: number, to: number) {
	await forRange(from, to, 64, (i) => touch.send({ "rvt-key": `a${i}` }));
}
await wake(0, 200); // warm every code path first
data.before = await census();
const before = data.before;
// The snapshot blocked this process for seconds: fetch's pooled sockets may
// be closing on both ends at once. Let them time out first.
await new Promise((r) => setTimeout(r, 6_000));
await collect();
const heapBefore = process.memoryUsage().heapUsed;
await wake(200, 200 + count);
await new Promise((r) => setTimeout(r, 500));
// Read before the snapshot: the census keeps the ids of every object it saw
// (and its tables), which would count as the actors' heap after it.
await collect();
const heapAfter = process.memoryUsage().heapUsed;
const after = await census();
console.log(`heap per awake idle actor: ${((heapAfter - heapBefore) / count).toFixed(0)} B`);
const rows = [...after].map(([key, a]) => {
	const b = before.get(key) ?? { count: 0, size: 0 };
	return { key, count: (a.count - b.count) / count, size: (a.size - b.size) / count };
});
rows.sort((x, y) => y.size - x.size);
// Each object once, by type and constructor; the "ref" rows (what holds what,
// one row per edge, so an object counts once per reference) and "props-" rows
// (property stores, already in the objects' rows) only with CENSUS_REFS=1.
const isObjectRow = (row: { key: string }) =>
	!row.key.startsWith("props-") && !row.key.startsWith("ref ");
console.log(
	`snapshot growth per actor: ${rows
		.filter(isObjectRow)
		.reduce((sum, row) => sum + row.size, 0)
		.toFixed(0)} B`,
);
for (const row of rows
	.filter((row) => process.env.CENSUS_REFS === "1" || isObjectRow(row))
	.slice(0, Number(process.env.CENSUS_ROWS ?? 45)))
	console.log(row.size.toFixed(0).padStart(7), "B", row.count.toFixed(2).padStart(7), row.key);
console.log("\nnew objects per actor by owner (the first new object holding them):");
const owned = [...owners].sort((x, y) => y[1].size - x[1].size);
for (const [key, entry] of owned.slice(0, Number(process.env.CENSUS_OWNER_ROWS ?? 60)))
	console.log(
		(entry.size / count).toFixed(0).padStart(7),
		"B",
		(entry.count / count).toFixed(2).padStart(7),
		key,
	);
touch.close();
await server.close();
rmSync(dataDir, { recursive: true, force: true });
