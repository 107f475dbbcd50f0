// Starts benchmark servers as separate processes (bundled with esbuild, run
// with plain node: no loader in the measured path).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";

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
	/** Resident memory of the server process (bytes). */
	rss(): number;
	stop(): Promise<void>;
}

/** Runs `command args` and waits for a `READY <url>` line on stdout. */
export function startProcess(
	command: string,
	args: string[],
	options: { env?: Record<string, string>; cwd?: string; ready?: RegExp; timeoutMs?: number } = {},
): Promise<ServerProcess> {
	const child = spawn(command, args, {
		cwd: options.cwd ?? root,
		env: { ...process.env, ...options.env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	const ready = options.ready ?? /READY (\S+)/;
	return new Promise((resolve, reject) => {
		let output = "";
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`${command} did not become ready: ${output.slice(-2000)}`));
		}, options.timeoutMs ?? 60_000);
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = ready.exec(output);
			if (match) {
				clearTimeout(timer);
				resolve({
					url: match[1] ?? "",
					output,
					child,
					rss: () => rssOf(child.pid as number),
					stop: () =>
						new Promise<void>((done) => {
							if (child.exitCode !== null) return done();
							const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
							child.once("exit", () => {
								clearTimeout(kill);
								done();
							});
							child.kill("SIGTERM");
						}),
				});
			}
		};
		child.stdout?.on("data", onData);
		child.stderr?.on("data", onData);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`${command} exited (${code}): ${output.slice(-2000)}`));
		});
	});
}

/** Resident set size of a process (bytes), from /proc. */
export function rssOf(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		const match = /VmRSS:\s+(\d+) kB/.exec(status);
		return match ? Number(match[1]) * 1024 : Number.NaN;
	} catch {
		return Number.NaN;
	}
}

/** Starts a bundled TypeScript server entry with node. */
export async function startBundled(
	entry: string,
	env: Record<string, string> = {},
	nodeArgs: string[] = [],
): Promise<ServerProcess> {
	const file = await bundle(entry);
	return startProcess(process.execPath, [...nodeArgs, file], { env });
}
