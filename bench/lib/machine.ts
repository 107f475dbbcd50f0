import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";

/** What the numbers were measured on. */
export interface MachineInfo {
	node: string;
	platform: string;
	cpu: string;
	cores: number;
	memoryGiB: number;
	freeMemoryGiB: number;
	disk: string;
	/** 1-minute load average when the run started (another busy process skews every number). */
	load: number;
	/** Versions of the peers the run compares with (bench/package.json). */
	peers: Record<string, string>;
	date: string;
}

function peerVersions(): Record<string, string> {
	try {
		const manifest = JSON.parse(
			readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8"),
		) as { dependencies?: Record<string, string> };
		return manifest.dependencies ?? {};
	} catch {
		return {};
	}
}

export function machineInfo(): MachineInfo {
	let disk = "unknown";
	try {
		disk = execSync("df -hT . | tail -1", { encoding: "utf8" }).trim().replace(/\s+/g, " ");
	} catch {}
	return {
		node: process.version,
		platform: `${platform()} ${release()}`,
		cpu: cpus()[0]?.model ?? "unknown",
		cores: cpus().length,
		memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
		freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
		disk,
		load: Math.round((loadavg()[0] ?? 0) * 100) / 100,
		peers: peerVersions(),
		date: new Date().toISOString(),
	};
}
