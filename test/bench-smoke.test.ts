// Smoke run of the benchmark harness: `npm run bench -- --quick` (Tenon and
// the machine floor) must start its servers, run every workload and print the
// table. It checks that the harness works, never the numbers.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
	const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
	const child = spawn(
		process.execPath,
		[tsx, "--conditions=tenon-source", "bench/main.ts", "--quick"],
		{ cwd: root, env: { ...process.env, TENON_LOG_LEVEL: "error" } },
	);
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on("data", (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** Table rows as cells, by "workload | system". */
function rowsOf(markdown: string): Map<string, string[]> {
	const rows = new Map<string, string[]>();
	for (const line of markdown.split("\n")) {
		if (!line.startsWith("| ") || line.startsWith("| ---") || line.startsWith("| workload"))
			continue;
		const cells = line
			.slice(2, -2)
			.split(" | ")
			.map((cell) => cell.trim());
		rows.set(`${cells[0]} | ${cells[1]}`, cells);
	}
	return rows;
}

it("npm run bench -- --quick runs every core workload on Tenon and the floor and prints the table", async () => {
	const { code, stdout, stderr } = await runQuickBench();
	expect(code, stderr.slice(-2000)).toBe(0);
	expect(stdout).toContain("# Tenon benchmark (quick)");
	expect(stdout).toMatch(/Machine: .+ cores, .+ GiB/);
	const rows = rowsOf(stdout);
	const measured = (workload: string, system: string) => {
		// The system cell may carry a note in parentheses after the system's name.
		const cells =
			rows.get(`${workload} | ${system}`) ??
			[...rows.entries()].find(([key]) => key.startsWith(`${workload} | ${system} (`))?.[1];
		expect(cells, `row "${workload}" for ${system}`).toBeDefined();
		// A value, not "n/a: failed: ..."
		expect(cells?.[3]).toMatch(/^[\d,.]+ (ms|µs|s|\/s|KiB)$/);
		return cells as string[];
	};
	const tenon = "Tenon (lmdb)";
	measured("1. warm action over a connection", tenon);
	// Row 1 with OpenTelemetry tracing on, and its ratio to tracing off in the same run.
	const traced = measured(
		"1c. warm action over a connection, OpenTelemetry tracing on (no exporter)",
		tenon,
	);
	expect(traced.join(" ")).toMatch(/tracing on \/ off: [\d.]+×/);
	measured("2. stateless HTTP action, warm actor", tenon);
	measured("3. create + first action (new key)", tenon);
	measured("4. wake from sleep + action", tenon);
	measured("5. throughput: 100 actors, pipelined", tenon);
	measured("6. memory per awake idle actor (1,000 actors)", tenon);
	measured("6. memory per sleeping actor (JS heap, 1,000 actors)", tenon);
	// Broadcast: the receivers in two client processes, and the server's own fan-out time.
	const broadcast = "7. broadcast to 200 connections in 2 client processes (last receipt)";
	const serverFanout =
		"7b. broadcast to 200 connections in 2 client processes: server fan-out (trigger in, last frame written)";
	measured(broadcast, tenon);
	measured(serverFanout, tenon);
	// Shared state (a durable change, then a patch to every connection), next to the plain broadcast.
	measured(
		"7c. shared state change kept in step on 200 connections in 2 client processes (last receipt)",
		tenon,
	);
	const floor = "floor: bare node:http / ws echo";
	const warmFloor = measured("1. warm action over a connection", floor);
	// The ratio column compares the floor with Tenon on the same workload.
	expect(warmFloor[7]).toMatch(/^[\d.]+×$/);
	measured("2. stateless HTTP action, warm actor", floor);
	measured(broadcast, floor);
	measured(serverFanout, floor);
	measured("floor: one durable LMDB commit (write transaction + fsync)", "floor: bare LMDB");
	// The three encodings, from both clients, against one server.
	for (const encoding of ["bare", "cbor", "json"]) {
		for (const client of ["Tenon client", "RivetKit client"]) {
			measured(`durable action over a connection (${client})`, `Tenon server, ${encoding}`);
			measured(`stateless HTTP action (${client})`, `Tenon server, ${encoding}`);
		}
	}
	// Connections that hibernate: memory per idle connection next to the bare ws floor, and wake on message.
	measured("H1. memory per open idle connection, actor asleep (1,000 over 100 actors)", tenon);
	measured(
		"H1. memory per open idle connection, actor asleep (1,000 over 100 actors)",
		"floor: bare ws server",
	);
	measured("H1b. JS heap per open idle connection, actor asleep (after a GC)", tenon);
	measured("H2a. message on a connection, actor awake (the awake path)", tenon);
	measured("H2b. message on a hibernated connection: wake + answer", tenon);
	// An agent's answer streamed to 1 and 100 clients, next to the mock model's own rate.
	for (const workload of [
		"A1. answer tokens/s streamed to 1 connected client",
		"A2. answer tokens/s streamed to 100 connected clients",
	]) {
		measured(workload, tenon);
		measured(workload, "floor: the mock model read directly");
	}
	// A Yjs edit between two clients, and its durable acknowledgement.
	measured("Y1. Yjs edit from one client to another through the server", tenon);
	measured("Y1b. Yjs edit acknowledged durable to its sender", tenon);
	// The durability point of each system is stated under the table.
	expect(stdout).toContain("Durability points:");
	expect(stdout).toMatch(/\*\*Tenon \(lmdb\)\*\*: .*fsync/);
	// Progress while it runs: what is measured, and the time since the start.
	expect(stderr).toMatch(/\[\d\d:\d\d\] core › Tenon \(lmdb\) › 6\. memory\n/);
	expect(stderr).toMatch(/\[\d\d:\d\d\] hibernation › Tenon \(lmdb\)\n/);
	// The quick run takes about a minute alone on 2 cores; inside `npm test` other test files share
	// them, and one run took 113 s: a budget with room for that, not a wait for a race.
}, 240_000);
