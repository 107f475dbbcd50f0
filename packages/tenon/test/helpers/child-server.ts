// Runs a Tenon server in a child process, so tests can SIGKILL it for real.
// Fixtures are bundled once with esbuild (sources resolved through the
// "tenon-source" condition) and started with plain `node`, which keeps each
// restart around a hundred milliseconds.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { build } from "esbuild";

const repoRoot = join(import.meta.dirname, "..", "..", "..", "..");
const bundles = new Map<string, Promise<string>>();
// Inside the repository, so the bundle's bare imports (lmdb, ws, cbor-x)
// resolve from its node_modules.
const cacheDir = join(repoRoot, "node_modules", ".cache");
mkdirSync(cacheDir, { recursive: true });
const bundleDir = mkdtempSync(join(cacheDir, "tenon-fixtures-"));

/** Bundles a fixture (once per test process) and returns the bundle path. */
export function bundleFixture(entry: string): Promise<string> {
	let bundle = bundles.get(entry);
	if (bundle === undefined) {
		const name = basename(entry, ".ts");
		const outdir = join(bundleDir, name);
		const outfile = join(outdir, `${name}.mjs`);
		bundle = build({
			entryPoints: [entry],
			outdir,
			outExtension: { ".js": ".mjs" },
			// Modules the sources load on demand stay separate chunks, loaded on demand too
			// (inlined, their packages were imported at every start: prom-client, 60 ms).
			splitting: true,
			bundle: true,
			platform: "node",
			format: "esm",
			target: "node20",
			conditions: ["tenon-source"],
			// Native and CommonJS dependencies load from node_modules as usual.
			packages: "external",
			logLevel: "error",
			banner: {
				js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
			},
		}).then(() => outfile);
		bundles.set(entry, bundle);
	}
	return bundle;
}

/** A running child server. */
export interface ChildServer {
	readonly url: string;
	readonly process: ChildProcess;
	/** What the child wrote to stderr so far (also forwarded to this process's stderr). */
	stderr(): string;
	/** SIGKILL: no cleanup, no flush, exactly like a crash. */
	kill(): Promise<void>;
	/** SIGTERM: the server sleeps its actors and exits. */
	stop(): Promise<void>;
}

/** Starts a bundled fixture with `env` and waits for its `TENON_READY <url>` line. */
export async function startChildServer(
	entry: string,
	env: Record<string, string>,
): Promise<ChildServer> {
	const bundle = await bundleFixture(entry);
	const child = spawn(process.execPath, [bundle], {
		// The bundle imports packages from the repository's node_modules.
		cwd: repoRoot,
		env: { ...process.env, TENON_LOG_LEVEL: "error", ...env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let stderr = "";
	child.stderr?.on("data", (chunk: Buffer) => {
		process.stderr.write(chunk);
		// Bounded: a test only needs to see that something was (not) written.
		if (stderr.length < 1_000_000) stderr += chunk.toString("utf8");
	});
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const url = await new Promise<string>((resolve, reject) => {
		let buffer = "";
		const onData = (chunk: Buffer) => {
			buffer += chunk.toString("utf8");
			const match = /TENON_READY (\S+)/.exec(buffer);
			if (match) {
				child.stdout?.off("data", onData);
				resolve(match[1] as string);
			}
		};
		child.stdout?.on("data", onData);
		child.once("exit", (code) =>
			reject(new Error(`fixture exited before it was ready (code ${code})`)),
		);
	});
	return {
		url,
		process: child,
		stderr: () => stderr,
		async kill() {
			child.kill("SIGKILL");
			await exited;
		},
		async stop() {
			child.kill("SIGTERM");
			await exited;
		},
	};
}

/**
 * Starts a fixture that may kill itself (a poison message or step): its
 * server, or undefined when it died before it was ready or within `graceMs`
 * after. `poke` runs once it is ready (what makes it take work, if a wake
 * alone does not).
 */
export async function startUnlessItDies(
	entry: string,
	env: Record<string, string>,
	graceMs: number,
	poke?: (url: string) => unknown,
): Promise<ChildServer | undefined> {
	let server: ChildServer;
	try {
		server = await startChildServer(entry, env);
	} catch {
		return undefined;
	}
	const died = new Promise<boolean>((resolve) => {
		if (server.process.exitCode !== null || server.process.signalCode !== null) resolve(true);
		server.process.once("exit", () => resolve(true));
	});
	await poke?.(server.url);
	const dead = await Promise.race([
		died,
		new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs)),
	]);
	return dead ? undefined : server;
}

/** A fresh temporary data directory. */
export function tempDataDir(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), `tenon-${prefix}-`));
	mkdirSync(dir, { recursive: true });
	return dir;
}
