import { execSync } from "node:child_process";
import { cpus, freemem, platform, release, totalmem } from "node:os";

/** What the numbers were measured on. */
export interface MachineInfo {
	node: string;
	platform: string;
	cpu: string;
	cores: number;
	memoryGiB: number;
	freeMemoryGiB: number;
	disk: string;
	date: string;
}

export function machineInfo(): MachineInfo {
	let disk = "unknown";
	try {
		disk = execSync("df -h . | tail -1", { encoding: "utf8" }).trim().replace(/\s+/g, " ");
	} catch {}
	return {
		node: process.version,
		platform: `${platform()} ${release()}`,
		cpu: cpus()[0]?.model ?? "unknown",
		cores: cpus().length,
		memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
		freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
		disk,
		date: new Date().toISOString(),
	};
}
