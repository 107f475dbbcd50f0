// SIGKILL under load with the LMDB driver's commit log: a child process
// commits as fast as it can and reports each durable commit; it is killed at
// a random moment, many times over the same data directory. Every commit it
// reported must be there afterwards.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import { bundleFixture, tempDataDir } from "../helpers/child-server.js";

const KILLS = 25;
const fixture = join(import.meta.dirname, "fixtures", "lmdb-commit-load.ts");
const repoRoot = join(import.meta.dirname, "..", "..", "..", "..");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the load until `acks` commits are acknowledged (plus a random few ms), then SIGKILLs it. */
async function loadThenKill(dataDir: string, firstOp: number, acks: number, extraMs: number) {
	const bundle = await bundleFixture(fixture);
	const child = spawn(process.execPath, [bundle], {
		cwd: repoRoot,
		env: { ...process.env, TENON_DATA_DIR: dataDir, TENON_FIRST_OP: String(firstOp) },
		stdio: ["ignore", "pipe", "inherit"],
	});
	const exited = new Promise<number | null>((resolve) =>
		child.once("exit", (code) => resolve(code)),
	);
	const acknowledged: number[] = [];
	let buffer = "";
	let killTimer: NodeJS.Timeout | undefined;
	child.stdout.on("data", (chunk: Buffer) => {
		buffer += chunk.toString("utf8");
		const lines = buffer.split("\n");
		buffer = lines.pop() ?? "";
		for (const line of lines) {
			if (!line.startsWith("ACK ")) continue;
			acknowledged.push(Number(line.slice(4)));
			if (acknowledged.length === acks)
				killTimer = setTimeout(() => child.kill("SIGKILL"), extraMs);
		}
	});
	const code = await exited;
	clearTimeout(killTimer);
	// Acks still in the pipe when it died were written by the child before the kill: they count.
	for (const line of buffer.split("\n"))
		if (line.startsWith("ACK ")) acknowledged.push(Number(line.slice(4)));
	if (code !== null) throw new Error(`the load exited by itself (code ${code})`);
	return acknowledged;
}

describe("LMDB commit log under SIGKILL", () => {
	it(`keeps every acknowledged commit across ${KILLS} kills under load`, async () => {
		const dataDir = tempDataDir("commit-log-sigkill");
		dirs.push(dataDir);
		const acknowledged: number[] = [];
		for (let kill = 0; kill < KILLS; kill++) {
			const acks = 20 + ((kill * 137) % 400);
			acknowledged.push(...(await loadThenKill(dataDir, kill * 1_000_000, acks, kill % 5)));
		}
		const handles = await lmdbDriver({ path: dataDir }).open();
		let lost = 0;
		try {
			const ACTORS = [
				"aaaaaaaaaaaaaaaa",
				"bbbbbbbbbbbbbbbb",
				"cccccccccccccccc",
				"dddddddddddddddd",
			];
			const present = new Set<number>();
			for (const actorId of ACTORS)
				for (const [key, value] of await handles.store.list(actorId, {})) {
					const op = Number(new TextDecoder().decode(key).slice(3));
					expect(new TextDecoder().decode(value).startsWith(`${op}:`)).toBe(true);
					present.add(op);
				}
			for (const op of acknowledged) if (!present.has(op)) lost++;
		} finally {
			await handles.close();
		}
		console.log(
			`[commit-log sigkill] kills=${KILLS} acknowledged=${acknowledged.length} lost=${lost}`,
		);
		expect(acknowledged.length).toBeGreaterThan(KILLS * 20);
		expect(lost).toBe(0);
	}, 120_000);
});
