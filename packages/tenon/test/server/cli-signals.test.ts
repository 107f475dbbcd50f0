// `tenon start` drains on the first signal and cuts the drain short on the second. A signal to
// the process group (Ctrl-C in a terminal, systemd's default KillMode=control-group) reaches
// every process of it: the CLI's wrapper passed it on again, and the server counted two, so
// one Ctrl-C skipped the whole drain (an operator's walkthrough, 2026-11-29). The CLI counts
// signals that come together (within 200 ms) as one.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "tenon.mjs");
const fixture = join(import.meta.dirname, "fixtures", "cli-registry.ts");

async function ready(url: string): Promise<number | string> {
	try {
		return (await fetch(`${url}/ready`)).status;
	} catch {
		return "refused";
	}
}

it.each(["SIGTERM", "SIGINT"] as const)(
	"drains on one %s to the whole process group, and a second one cuts the drain short",
	async (signal) => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-cli-"));
		const child = spawn(
			process.execPath,
			[bin, "start", fixture, "--port", "0", "--data-dir", join(dir, "data")],
			{ detached: true, env: { ...process.env, TENON_DRAIN_MS: "10000" }, stdio: "pipe" },
		);
		const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
		try {
			let output = "";
			const url = await new Promise<string>((resolve, reject) => {
				child.stdout.on("data", (chunk: Buffer) => {
					output += chunk.toString();
					const found = /running at (http:\/\/\S+)/.exec(output);
					if (found) resolve(found[1] as string);
				});
				child.on("exit", () => reject(new Error(`exited: ${output}`)));
			});
			expect(await ready(url)).toBe(200);
			process.kill(-(child.pid as number), signal);
			// Draining: not ready, still serving, for the 10 s asked.
			await new Promise((resolve) => setTimeout(resolve, 1_000));
			expect(await ready(url)).toBe(503);
			// A second signal (to the group again) ends the drain: the server closes and exits.
			process.kill(-(child.pid as number), signal);
			const began = Date.now();
			expect(await exited).toBe(0);
			expect(Date.now() - began).toBeLessThan(8_000);
		} finally {
			try {
				process.kill(-(child.pid as number), "SIGKILL");
			} catch {}
			rmSync(dir, { recursive: true, force: true });
		}
	},
	30_000,
);
