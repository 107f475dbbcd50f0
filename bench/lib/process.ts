// Starts benchmark servers as separate processes (bundled with esbuild, run
// with plain node: no loader in the measured path).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { sessionStarted, sessionStopped, trackSessions } from "./affinity.js";

const root = join(import.meta.dirname, "..", "..");
const outDir = join(root, "node_modules", ".cache", "tenon-bench");
mkdirSync(outDir, { recursive: true });
const bundles = new Map<string, Promise<string>>();

/** Bundles a server entry once per run. */
export function bundle(entry: string): Promise<string> {
	let out = bundles.get(entry);
	if (!out) {
		const file = join(outDir, `${basename(entry, ".ts")}.mjs`);
		out = build({
			entryPoints: [entry],
			outfile: file,
			bundle: true,
			platform: "node",
			format: "esm",
			target: "node20",
			conditions: ["tenon-source"],
			// Dependencies load from node_modules, but Tenon itself is bundled from
			// its sources (node_modules/tenon would resolve to a possibly stale dist).
			plugins: [
				{
					name: "external-except-tenon",
					setup(build) {
						build.onResolve({ filter: /^[^./]/ }, (args) =>
							/^tenon(\/|$)/.test(args.path) ? undefined : { path: args.path, external: true },
						);
					},
				},
			],
			logLevel: "error",
			banner: {
				js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
			},
		}).then(() => file);
		bundles.set(entry, out);
	}
	return out;
}

export interface ServerProcess {
	url: string;
	/** Everything the server printed up to its ready line. */
	output: string;
	child: ChildProcess;
	/** Resident memory of the server and everything it started (bytes). */
	rss(): number;
	/** Stops the server and everything it started (engines, runtimes). */
	stop(): Promise<void>;
}

/** Sessions of servers still running, killed if the runner exits first. */
const running = new Set<number>();
process.once("exit", () => {
	for (const session of running) killSession(session, "SIGKILL");
});

/**
 * Runs `command args` in a session of its own and waits for a `READY <url>`
 * line. Peers start helpers (an engine, workerd, restate-server), some of
 * which outlive their parent: the session holds them all.
 */
export function startProcess(
	command: string,
	args: string[],
	options: { env?: Record<string, string>; cwd?: string; ready?: RegExp; timeoutMs?: number } = {},
): Promise<ServerProcess> {
	const child = spawn(command, args, {
		cwd: options.cwd ?? root,
		env: { ...process.env, ...options.env },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	const session = child.pid as number;
	running.add(session);
	const stop = async () => {
		killSession(session, "SIGTERM");
		const deadline = Date.now() + 10_000;
		while (sessionPids(session).length > 0 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		killSession(session, "SIGKILL");
		running.delete(session);
		sessionStopped(session);
	};
	const ready = options.ready ?? /READY (\S+)/;
	return new Promise((resolve, reject) => {
		let output = "";
		let started = false;
		const timer = setTimeout(() => {
			void stop();
			reject(new Error(`${command} did not become ready: ${output.slice(-2000)}`));
		}, options.timeoutMs ?? 120_000);
		const onData = (chunk: Buffer) => {
			// Keep reading after the ready line (a full pipe would block the
			// server), but only remember the start.
			if (started) return;
			output += chunk.toString();
			const match = ready.exec(output);
			if (match) {
				started = true;
				clearTimeout(timer);
				sessionStarted(session);
				resolve({
					url: match[1] ?? "",
					output,
					child,
					rss: () => sessionPids(session).reduce((sum, pid) => sum + rssOf(pid), 0),
					stop,
				});
			}
		};
		child.stdout?.on("data", onData);
		child.stderr?.on("data", onData);
		child.once("exit", (code) => {
			if (started) return;
			clearTimeout(timer);
			void stop();
			reject(new Error(`${command} exited (${code}): ${output.slice(-2000)}`));
		});
	});
}

trackSessions((session) => sessionPids(session));

/** Processes whose session id is `session` (from /proc). */
export function sessionPids(session: number): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			// pid (comm) state ppid pgrp session ...; comm may contain spaces.
			const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
			if (Number(fields[3]) === session && fields[0] !== "Z") pids.push(Number(entry));
		} catch {
			// The process ended while we looked.
		}
	}
	return pids;
}

function killSession(session: number, signal: NodeJS.Signals): void {
	for (const pid of sessionPids(session)) {
		try {
			process.kill(pid, signal);
		} catch {
			// Already gone.
		}
	}
}

/** Resident set size of a process (bytes), from /proc. */
export function rssOf(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		const match = /VmRSS:\s+(\d+) kB/.exec(status);
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** Starts a bundled TypeScript server entry with node. */
export async function startBundled(
	entry: string,
	env: Record<string, string> = {},
	nodeArgs: string[] = [],
): Promise<ServerProcess> {
	const file = await bundle(entry);
	// TENON_BENCH_PROFILE=<dir>: every bundled server writes a CPU profile
	// there when it stops (open it in Chrome DevTools or speedscope).
	const profileDir = process.env.TENON_BENCH_PROFILE;
	const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
	return startProcess(process.execPath, [...profile, ...nodeArgs, file], { env });
}
