#!/usr/bin/env node
// Runs the compiled CLI when the package is built (installed from npm);
// in a source checkout (or with TENON_CLI_FROM_SOURCE=1), runs the
// TypeScript sources through tsx.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "cli.js");
if (existsSync(compiled) && process.env.TENON_CLI_FROM_SOURCE !== "1") {
	await import(compiled);
} else {
	const require = createRequire(import.meta.url);
	// tsx's loader in the child itself, not tsx's command: that one passes signals on again and
	// SIGKILLs a child that does not acknowledge one within 60 ms (a server busy closing).
	const loader = join(dirname(require.resolve("tsx/package.json")), "dist", "loader.mjs");
	const child = spawn(
		process.execPath,
		[
			"--import",
			pathToFileURL(loader).href,
			"--conditions=tenon-source",
			join(root, "src", "cli.ts"),
			...process.argv.slice(2),
		],
		{ stdio: "inherit" },
	);
	for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
	child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}
