// Runs a Tenon server in a child process, so tests can SIGKILL it for real.
// Fixtures are bundled once with esbuild (sources resolved through the
// "tenon-source" condition) and started with plain `node`; a fixture being
// restarted has a spare process with its modules loaded waiting (see spares).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const repoRoot = join(import.meta.dirname, "..", "..", "..", "..");
const libraryEntry = join(import.meta.dirname, "..", "..", "src", "index.ts");
/** A bundled fixture: its entry, and the library's (see {@link startChildServer}). */
interface Bundle {
	fixture: string;
	library: string;
}
const bundles = new Map<string, Promise<Bundle>>();
// Inside the repository, so the bundle's bare imports (lmdb, ws, cbor-x)
// resolve from its node_modules.
const cacheDir = join(repoRoot, "node_modules", ".cache");
mkdirSync(cacheDir, { recursive: true });
const bundleDir = mkdtempSync(join(cacheDir, "tenon-fixtures-"));

/** Bundles a fixture (once per test process) and returns the bundle path. */
export async function bundleFixture(entry: string): Promise<string> {
	return (await bundled(entry)).fixture;
}

function bundled(entry: string): Promise<Bundle> {
	let bundle = bundles.get(entry);
	if (bundle === undefined) {
		const name = basename(entry, ".ts");
		const outdir = join(bundleDir, name);
		bundle = build({
			// Tenon's own entry too: the modules both load go to shared chunks, which a
			// spare process loads before it is needed (see startChildServer).
			entryPoints: { [name]: entry, "tenon-library": libraryEntry },
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
		}).then(() => ({
			fixture: join(outdir, `${name}.mjs`),
			library: join(outdir, "tenon-library.mjs"),
		}));
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

/**
 * Spare processes per fixture and environment: from a fixture's second start on (it is being
 * restarted; one spare then, two from the third), each loads Tenon's modules while the current
 * server runs, then waits for "go" on its stdin to run the fixture. A restart then costs the
 * fixture's own start (opening its storage, listening), not Node loading a few megabytes of
 * modules again: about 0.3 s of the 0.36 s each of the SIGKILL suites' hundreds of restarts
 * took (2026-11-27).
 */
const spares = new Map<string, ChildProcess[]>();
/** Spares kept per fixture and environment at most: a SIGKILL cycle is shorter than a load. */
const SPARES = 2;
/** Starts so far per fixture and environment. */
const starts = new Map<string, number>();
/** How long a spare waits for its start before it exits. */
const SPARE_IDLE_MS = 30_000;
/** A spare's exit code when it ends without having run its fixture (unused, or its parent left). */
const SPARE_UNUSED = 75;

const launcher = join(bundleDir, "spare-launcher.mjs");
writeFileSync(
	launcher,
	`const [library, fixture] = process.argv.slice(2);
await import(library);
for (const name of ["lmdb", "postgres"]) await import(name).catch(() => {});
const idle = setTimeout(() => process.exit(${SPARE_UNUSED}), ${SPARE_IDLE_MS});
const gone = () => process.exit(${SPARE_UNUSED});
process.stdin.once("end", gone);
process.stdin.once("data", () => {
	clearTimeout(idle);
	process.stdin.off("end", gone);
	process.stdin.destroy();
	import(fixture).catch((error) => {
		console.error(error);
		process.exit(1);
	});
});
`,
);

function spawnFixture(args: string[], env: Record<string, string>, spare: boolean): ChildProcess {
	const child = spawn(process.execPath, args, {
		// The bundle imports packages from the repository's node_modules.
		cwd: repoRoot,
		env: { ...process.env, TENON_LOG_LEVEL: "error", ...env },
		stdio: [spare ? "pipe" : "ignore", "pipe", "pipe"],
	});
	// "go" written to a spare that just ended fails with EPIPE: its exit code says so instead.
	child.stdin?.on("error", () => {});
	return child;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** A spare for `key` that is still alive, told to start; undefined if there is none. */
function takeSpare(key: string): ChildProcess | undefined {
	const waiting = spares.get(key) ?? [];
	for (let spare = waiting.shift(); spare !== undefined; spare = waiting.shift()) {
		if (!alive(spare)) continue;
		spare.stdin?.end("go\n");
		holdsProcess(spare, true);
		return spare;
	}
	return undefined;
}

/** Tops up `key`'s spares to `count` (they load while the current server starts and runs). */
function addSpares(key: string, count: number, bundle: Bundle, env: Record<string, string>): void {
	const waiting = (spares.get(key) ?? []).filter(alive);
	spares.set(key, waiting);
	while (waiting.length < count) {
		const urls = [pathToFileURL(bundle.library).href, pathToFileURL(bundle.fixture).href];
		const spare = spawnFixture([launcher, ...urls], env, true);
		// A spare nobody takes does not keep the test process alive (it exits by itself).
		holdsProcess(spare, false);
		waiting.push(spare);
	}
}

/** Whether `child` (and its pipes) keep this process's event loop alive. */
function holdsProcess(child: ChildProcess, hold: boolean): void {
	for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown[]) {
		const target = handle as { ref?: () => void; unref?: () => void } | null;
		if (hold) target?.ref?.();
		else target?.unref?.();
	}
}

/** Starts a bundled fixture with `env` and waits for its `TENON_READY <url>` line. */
export async function startChildServer(
	entry: string,
	env: Record<string, string>,
): Promise<ChildServer> {
	const bundle = await bundled(entry);
	const key = `${entry}\n${JSON.stringify(env)}`;
	const spare = takeSpare(key);
	const started = (starts.get(key) ?? 0) + 1;
	starts.set(key, started);
	addSpares(key, Math.min(SPARES, started - 1), bundle, env);
	try {
		return await runUntilReady(spare ?? spawnFixture([bundle.fixture], env, false));
	} catch (error) {
		// Only a spare that ended unused as it was told to start (its idle time ran out) is
		// started anew: a fixture that died starting (a poison one) died, and is counted once.
		if (spare === undefined || (error as ExitedEarly).exitCode !== SPARE_UNUSED) throw error;
		return await runUntilReady(spawnFixture([bundle.fixture], env, false));
	}
}

/** A fixture ended before it was ready. */
class ExitedEarly extends Error {
	constructor(readonly exitCode: number | null) {
		super(`fixture exited before it was ready (code ${exitCode})`);
	}
}

/** Waits for a started fixture's `TENON_READY <url>` line. */
async function runUntilReady(child: ChildProcess): Promise<ChildServer> {
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
		child.once("exit", (code) => reject(new ExitedEarly(code)));
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

/**
 * Starts the server at `entry`, lets `kill` make it crash (a message it dies of: its answer
 * may not come), waits for it to exit, then starts it again until one start stays up for two
 * seconds, `maxStarts` at most. `crashes` counts the first crash and every start that died.
 */
export async function crashUntilStable(
	entry: string,
	env: Record<string, string>,
	kill: (url: string) => Promise<unknown>,
	maxStarts: number,
): Promise<{ stable: ChildServer | undefined; crashes: number }> {
	const first = await startChildServer(entry, env);
	await kill(first.url).catch(() => undefined);
	await new Promise<void>((resolve) => {
		if (first.process.exitCode !== null || first.process.signalCode !== null) resolve();
		first.process.once("exit", () => resolve());
	});
	let stable: ChildServer | undefined;
	let crashes = 1;
	for (let start = 0; start < maxStarts && stable === undefined; start++) {
		stable = await startUnlessItDies(entry, env, 2_000);
		if (stable === undefined) crashes++;
	}
	return { stable, crashes };
}

/** A fresh temporary data directory. */
export function tempDataDir(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), `tenon-${prefix}-`));
	mkdirSync(dir, { recursive: true });
	return dir;
}
