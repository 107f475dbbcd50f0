// Regression: the data-directory lock was a PID file. A restart right after
// SIGKILL could find the dying (or not yet reaped) process "alive" and refuse
// to start, and an unrelated live process that reused the PID blocked the
// directory for good. The lock is now one the kernel drops with its holder.
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import type { ledgerRegistry } from "../durability/fixtures/ledger.js";
import {
	bundleFixture,
	type ChildServer,
	startChildServer,
	tempDataDir,
} from "../helpers/child-server.js";

const fixture = join(import.meta.dirname, "..", "durability", "fixtures", "ledger-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
	const dir = tempDataDir("lock");
	dirs.push(dir);
	return dir;
}

describe("the data directory lock", () => {
	it("is not blocked by a lock file naming an unrelated live process", async () => {
		const dir = newDir();
		const unrelated = spawn("sleep", ["30"], { stdio: "ignore" });
		try {
			const pid = String(unrelated.pid);
			// What a crashed server leaves behind when its PID was reused (both the old and the new file name).
			writeFileSync(join(dir, "tenon.pid"), pid);
			writeFileSync(join(dir, "tenon.lock"), pid);
			const storage = await lmdbDriver({ path: dir, lockWaitMs: 200 }).open();
			await storage.close();
		} finally {
			unrelated.kill("SIGKILL");
		}
	});

	it("lets a server start right after the previous one was SIGKILLed, without waiting for it to be reaped", async () => {
		const dir = newDir();
		let server: ChildServer | undefined;
		try {
			for (let round = 0; round < 4; round++) {
				const previous = server;
				// Not awaited: the next server starts while the old process is still dying.
				previous?.process.kill("SIGKILL");
				server = await startChildServer(fixture, { TENON_DATA_DIR: dir });
				const client = createClient<typeof ledgerRegistry>({ endpoint: server.url });
				expect(await client.ledger.getOrCreate("l").apply(`entry ${round}`)).toBe(round + 1);
			}
		} finally {
			await server?.stop();
		}
	}, 60_000);

	it("lets a server start while the killed one is a zombie nobody reaped yet", async () => {
		const dir = newDir();
		const bundle = await bundleFixture(fixture);
		// The server's parent execs `sleep`, which never reaps it: once killed,
		// the server stays a zombie, exactly like a process whose supervisor has
		// not called wait() yet. Its PID is "alive" to kill(pid, 0).
		const parent = spawn(
			"sh",
			["-c", `"${process.execPath}" "${bundle}" & echo "PID $!"; exec sleep 60`],
			{
				cwd: join(import.meta.dirname, "..", "..", "..", ".."),
				env: { ...process.env, TENON_DATA_DIR: dir, TENON_LOG_LEVEL: "error" },
				stdio: ["ignore", "pipe", "inherit"],
			},
		);
		try {
			const pid = await new Promise<number>((resolve, reject) => {
				let out = "";
				parent.stdout?.on("data", (chunk: Buffer) => {
					out += chunk.toString("utf8");
					const match = /PID (\d+)[\s\S]*TENON_READY/.exec(out);
					if (match) resolve(Number(match[1]));
				});
				parent.once("exit", () => reject(new Error("the server did not start")));
			});
			process.kill(pid, "SIGKILL");
			const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
			while (state() !== "Z") await new Promise((resolve) => setTimeout(resolve, 10));
			const server = await startChildServer(fixture, { TENON_DATA_DIR: dir });
			try {
				const client = createClient<typeof ledgerRegistry>({ endpoint: server.url });
				expect(await client.ledger.getOrCreate("l").apply("after the crash")).toBe(1);
			} finally {
				await server.stop();
			}
		} finally {
			parent.kill("SIGKILL");
		}
	}, 30_000);

	it("never lets two live servers share a directory, across processes or in one", async () => {
		const dir = newDir();
		const server = await startChildServer(fixture, { TENON_DATA_DIR: dir });
		try {
			await expect(lmdbDriver({ path: dir, lockWaitMs: 300 }).open()).rejects.toThrow(
				`in use by process ${server.process.pid}`,
			);
		} finally {
			await server.stop();
		}
		const first = await lmdbDriver({ path: dir }).open();
		await expect(lmdbDriver({ path: dir, lockWaitMs: 300 }).open()).rejects.toThrow(
			"already open in this process",
		);
		await first.close();
		const again = await lmdbDriver({ path: dir, lockWaitMs: 300 }).open();
		await again.close();
	});
});
