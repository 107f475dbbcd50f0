// How the host starts a sandbox worker thread: its native stack, and its entry loaded through
// tsx when the sandbox runs from TypeScript.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { WORKER_MARKER } from "./worker-messages.js";

/**
 * Native stack of a worker thread. WASM frames of the interpreter also use it, several times
 * what QuickJS counts: on Node's 1 MB main-thread stack even a 256 KiB QuickJS limit let
 * recursion through `valueOf` overflow the host first. At 16 MB, QuickJS's own limit (512 KiB)
 * fires first for plain, native-call and parser recursion alike.
 */
const WORKER_STACK_MB = 16;

/**
 * Starts a sandbox worker on worker-entry.ts. Node 20 runs no TypeScript in workers, and loader
 * hooks from `--import tsx` do not reach them, so when the sandbox runs from its TypeScript
 * source (tests, `npm start`) the worker loads its entry with tsx's `tsImport`; compiled
 * JavaScript loads directly.
 */
export function startWorker(): Worker {
	// The entry has this file's extension: `.ts` in the source tree, `.js` once compiled.
	const extension = extname(new URL(import.meta.url).pathname);
	const entry = new URL(`./worker-entry${extension}`, import.meta.url).href;
	const options = { resourceLimits: { stackSizeMb: WORKER_STACK_MB } };
	if (extension !== ".ts") {
		return new Worker(new URL(entry), { ...options, workerData: { [WORKER_MARKER]: true } });
	}
	const source = [
		'const { workerData } = require("node:worker_threads");',
		"import(workerData.tsxApi).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));",
	].join("\n");
	const workerData = { [WORKER_MARKER]: true, entry, tsxApi: tsxApiUrl() };
	return new Worker(source, { ...options, eval: true, workerData });
}

/** The ESM entry of tsx's documented `tsx/esm/api` (its CommonJS twin fails in a worker). */
function tsxApiUrl(): string {
	const require = createRequire(import.meta.url);
	let manifestPath: string;
	try {
		manifestPath = require.resolve("tsx/package.json");
	} catch {
		throw new Error(
			"agent-sandbox: running sandbox.ts from TypeScript needs tsx (a devDependency) to load it in a worker; compile it to JavaScript or install tsx",
		);
	}
	const manifest: unknown = JSON.parse(readFileSync(manifestPath, "utf8"));
	const target = (manifest as { exports?: Record<string, { import?: { default?: unknown } }> })
		.exports?.["./esm/api"]?.import?.default;
	if (typeof target !== "string") {
		throw new Error(`agent-sandbox: ${manifestPath} has no ESM export "./esm/api"`);
	}
	return pathToFileURL(join(dirname(manifestPath), target)).href;
}
