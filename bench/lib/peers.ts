// The peer systems live in bench/package.json (several hundred MB of engines
// and runtimes), installed here on first use, never by the root install.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ServerProcess, startProcess } from "./process.js";

export const benchDir = join(import.meta.dirname, "..");
const lockfile = join(benchDir, "package-lock.json");
const marker = join(benchDir, "node_modules", ".tenon-bench-installed");

/** The lockfile's hash, recorded after a successful install. */
function lockHash(): string {
	return createHash("sha256").update(readFileSync(lockfile)).digest("hex");
}

function isCurrent(): boolean {
	return existsSync(marker) && readFileSync(marker, "utf8") === lockHash();
}

/**
 * Installs the peers from bench/package-lock.json when missing or stale.
 * Returns an error message when that fails (the run goes on without peers).
 */
export function ensurePeers(): string | undefined {
	if (isCurrent()) return undefined;
	console.error("installing the benchmark peers (bench/package.json, first run only)...");
	// No install scripts: every peer ships its binaries as npm platform packages.
	const result = spawnSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], {
		cwd: benchDir,
		stdio: ["ignore", "inherit", "inherit"],
		timeout: 600_000,
	});
	if (result.status !== 0) {
		return `npm ci in bench/ failed (${result.error?.message ?? `exit ${result.status}`})`;
	}
	// better-sqlite3 (native SQLite for the sqlite suite) is the one peer that
	// compiles: from its bundled sources, against the local Node headers, offline.
	// If that fails the sqlite suite says so and the rest runs.
	console.error("building better-sqlite3 for the sqlite suite (about a minute)...");
	const build = spawnSync("npm", ["rebuild", "better-sqlite3", "--no-audit", "--no-fund"], {
		cwd: benchDir,
		stdio: ["ignore", "ignore", "inherit"],
		timeout: 600_000,
	});
	if (build.status !== 0) console.error("better-sqlite3 did not build; native SQLite is left out");
	writeFileSync(marker, lockHash());
	return undefined;
}

/** `require` resolving from the peers' node_modules (not the root's). */
export const peerRequire = createRequire(join(benchDir, "package.json"));

/** Imports a module from the peers' node_modules (not the root's). */
export async function importPeer(specifier: string): Promise<any> {
	return import(pathToFileURL(peerRequire.resolve(specifier)).href);
}

/** A file under bench/peers/. */
export function peerScript(name: string): string {
	return join(benchDir, "peers", name);
}

/**
 * Starts `bench/peers/<script>` with a scratch directory of its own (`env`
 * tells the script where it is); stopping the server also removes it.
 */
export async function startPeer(
	script: string,
	env: (dir: string) => Record<string, string>,
): Promise<ServerProcess & { dir: string }> {
	const dir = mkdtempSync(join(tmpdir(), `tenon-bench-${script.replace(/\.m?js$/, "")}-`));
	try {
		const server = await startProcess(process.execPath, [peerScript(script)], {
			cwd: benchDir,
			env: env(dir),
		});
		return {
			...server,
			dir,
			async stop() {
				await server.stop();
				rmSync(dir, { recursive: true, force: true });
			},
		};
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
}
