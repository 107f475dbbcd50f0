// What a wake-up burst promotes to V8's old space and lets die there: the
// garbage that leaves old-space pages partly empty after row 6's burst (its
// slack). Runs row 6's wake-ups twice on the bench's Tenon server, each
// with V8's sampling heap profiler preloaded (bench/lib/heap-sampler.mjs):
// once keeping the samples of objects a major GC collected, once without.
// Neither keeps what a scavenge collected, so the difference per allocation
// site is what survived into the old space and died there (an estimate: a
// mark-compact collects young objects too, and those count). The exact total
// the scavenges promoted comes from V8's --trace-gc-nvp. Run with
// --no-turbo-inlining, so each allocation is charged to the function that made it.
//   npx tsx --conditions=tenon-source bench/promoted-garbage.ts [count] [rows] [wake|h1]
// wake (default): row 6's wake-ups of `count` idle actors; h1: the hibernation
// suite's burst of `count` connections over `count / 10` actors that sleep.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDLE_WAKE_CONCURRENCY, idleKey, idleTouchReplay } from "./lib/idle-touch.js";
import { sessionPids, startBundled } from "./lib/process.js";
import { forRange } from "./lib/workloads.js";
import { openMany, tenonPipe } from "./suites/hibernation.js";

const count = Number(process.argv[2] ?? 50_000);
const rows = Number(process.argv[3] ?? 30);
/** `wake` (row 6) or `h1` (the hibernation suite's connection burst). */
const burst = process.argv[4] === "h1" ? "h1" : "wake";
/** The hibernation suite's lobby sleeps after this much idle time (ms). */
const LOBBY_SLEEP_MS = 300;
const work = mkdtempSync(join(tmpdir(), "tenon-promoted-"));

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children: ProfileNode[];
}
interface Profile {
	head: ProfileNode;
	samples: { size: number; nodeId: number }[];
}

/**
 * Bytes V8's scavenges promoted to the old space during the bursts, from
 * `--trace-gc-nvp` (exact, where the sampled sites below are an estimate:
 * a mark-compact also collects young objects, and those samples count too).
 */
let scavengePromoted = 0;

/** Runs the burst on a new bench server; returns the server's sampled heap profile. */
async function sampledBurst(major: boolean): Promise<Profile> {
	const out = join(work, major ? "major.json" : "live.json");
	const dataDir = mkdtempSync(join(work, "data-"));
	const server = await startBundled(
		join(import.meta.dirname, "servers", "tenon.ts"),
		{
			TENON_DATA_DIR: dataDir,
			TENON_LOG_LEVEL: "error",
			HEAP_SAMPLER_MAJOR: major ? "1" : "0",
			HEAP_SAMPLER_OUT: out,
			TENON_BENCH_LOBBY_SLEEP_MS: String(LOBBY_SLEEP_MS),
		},
		[
			"--no-turbo-inlining",
			...(major ? [] : ["--trace-gc-nvp"]),
			"--import",
			join(import.meta.dirname, "lib", "heap-sampler.mjs"),
		],
	);
	// From here on: the server's start is not part of the burst.
	let pending = "";
	server.child.stdout?.on("data", (chunk: Buffer) => {
		const lines = (pending + chunk.toString()).split("\n");
		pending = lines.pop() ?? "";
		for (const line of lines) {
			const promoted = /\bpromoted=(\d+)/.exec(line);
			if (promoted) scavengePromoted += Number(promoted[1]);
		}
	});
	const settled = burst === "h1" ? await connectionBurst(server.url) : await wakeBurst(server.url);
	try {
		for (const pid of sessionPids(server.child.pid as number)) process.kill(pid, "SIGUSR2");
		while (!existsSync(out)) await new Promise((resolve) => setTimeout(resolve, 100));
		return JSON.parse(readFileSync(out, "utf8")) as Profile;
	} finally {
		settled.close();
		await server.stop();
	}
}

/** Row 6: `count` idle actors woken by one request each. */
async function wakeBurst(url: string): Promise<{ close(): void }> {
	const touch = await idleTouchReplay(url);
	await forRange(0, count, IDLE_WAKE_CONCURRENCY, (i) => touch.send(idleKey(i)));
	await new Promise((resolve) => setTimeout(resolve, 500));
	return touch;
}

/**
 * H1: `count` connections over `count / 10` lobby actors, opened as the
 * hibernation suite opens them, until every one is hibernated.
 */
async function connectionBurst(url: string): Promise<{ close(): void }> {
	const actors = Math.max(1, Math.floor(count / 10));
	// As the suite: the actors exist and sleep before the burst.
	const warm = await openMany(actors, actors, (key) => tenonPipe(url, key));
	await Promise.all(warm.map((pipe) => pipe.request()));
	for (const pipe of warm) pipe.close();
	await new Promise((resolve) => setTimeout(resolve, LOBBY_SLEEP_MS + 500));
	const pipes = await openMany(count, actors, (key) => tenonPipe(url, key));
	for (;;) {
		const response = await fetch(`${url}/inspector/sockets`, {
			headers: { authorization: "Bearer bench-inspector-token" },
		});
		if (((await response.json()) as { hibernated: number }).hibernated >= count) break;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return {
		close: () => {
			for (const pipe of pipes) pipe.close();
		},
	};
}

/** Sampled bytes per allocation site: the allocating function and three callers. */
function bySite(profile: Profile): Map<string, number> {
	const stacks = new Map<number, string>();
	const walk = (node: ProfileNode, frames: string[]) => {
		const frame = node.callFrame;
		const here =
			frame.functionName === "" && frame.url === ""
				? frames
				: [
						`${frame.functionName || "(anonymous)"}@${frame.url.split("/").pop()}:${frame.lineNumber}`,
						...frames,
					];
		stacks.set(node.id, here.slice(0, 4).join(" < "));
		for (const child of node.children) walk(child, here);
	};
	walk(profile.head, []);
	const sites = new Map<string, number>();
	for (const sample of profile.samples) {
		const site = stacks.get(sample.nodeId) ?? "?";
		sites.set(site, (sites.get(site) ?? 0) + sample.size);
	}
	return sites;
}

try {
	const withMajor = bySite(await sampledBurst(true));
	const live = bySite(await sampledBurst(false));
	const promoted = [...withMajor].map(
		([site, bytes]) => [site, bytes - (live.get(site) ?? 0)] as const,
	);
	const total = promoted.reduce((sum, [, bytes]) => sum + bytes, 0);
	const perWake = (bytes: number) => `${(bytes / count).toFixed(0)} B`;
	const unit = burst === "h1" ? "connection" : "wake-up";
	console.log(
		`${count.toLocaleString("en")} ${unit}s: scavenges promoted ${perWake(scavengePromoted)} per ${unit} (--trace-gc-nvp); promoted, then collected by a major GC, about ${perWake(total)} per ${unit} by site (sampled, and counting young objects a mark-compact collected too)`,
	);
	for (const [site, bytes] of promoted.sort((a, b) => b[1] - a[1]).slice(0, rows))
		console.log(`${perWake(bytes).padStart(7)}  ${site}`);
} finally {
	rmSync(work, { recursive: true, force: true });
}
