// The `tenon` command: `tenon start [registry] [options]` serves a registry,
// alone on LMDB or as one node of a cluster on PostgreSQL.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { ActorDefinitions } from "./actor/registry-types.js";
import type { Registry } from "./registry/registry.js";
import { lmdbDriver } from "./storage/drivers/lmdb/index.js";
import { postgresDriver } from "./storage/drivers/postgres/index.js";
import type { StorageDriver } from "./storage/interfaces.js";

const USAGE = `Usage: tenon start [registry] [options]

Serves the registry exported (as \`registry\` or default) by the given module
(default: ./registry.ts, ./registry.js, ./src/registry.ts or ./src/registry.js).

Options:
  --port <n>           port (default TENON_PORT, PORT or 6420)
  --host <host>        interface (default 127.0.0.1; 0.0.0.0 for other machines)
  --data-dir <path>    LMDB data directory (single node; default ./.tenon)
  --postgres <url>     run as a cluster node on this PostgreSQL (default TENON_POSTGRES_URL)
  --schema <name>      PostgreSQL schema for Tenon's tables (default tenon)
  --node-id <id>       this node's id (default: random)
  --advertise <url>    URL other nodes reach this one at (default: http://127.0.0.1:<port>)
  --lease-ttl <ms>     actor lease lifetime without renewal (default 10000)
  -h, --help           this help
`;

/**
 * Signals within this many ms of the last one counted are the same signal, delivered again
 * (npm passes one on at once, tsx about 30 ms after it came); a second Ctrl-C comes later.
 */
const SAME_SIGNAL_MS = 200;

function fail(message: string): never {
	process.stderr.write(`tenon: ${message}\n\n${USAGE}`);
	process.exit(2);
}

async function loadRegistry(path: string | undefined): Promise<Registry<ActorDefinitions>> {
	const candidates = path
		? [path]
		: ["registry.ts", "registry.js", "src/registry.ts", "src/registry.js"];
	const found = candidates.map((candidate) => resolve(candidate)).find((file) => existsSync(file));
	if (!found) fail(path ? `no such file: ${path}` : "no registry module found; pass its path");
	if (found.endsWith(".ts") && !process.execArgv.some((arg) => arg.includes("tsx"))) {
		// TypeScript registries need a loader; tsx registers one when installed.
		try {
			const { register } = await import("tsx/esm/api");
			register();
		} catch {
			fail(`${found} is TypeScript: install tsx (npm i -D tsx) or point to compiled JavaScript`);
		}
	}
	const module = (await import(pathToFileURL(found).href)) as Record<string, unknown>;
	const registry = (module.registry ?? module.default) as Registry<ActorDefinitions> | undefined;
	if (!registry || typeof (registry as { start?: unknown }).start !== "function") {
		fail(`${found} does not export a registry (export const registry = setup({ use: { ... } }))`);
	}
	return registry;
}

async function start(argv: string[]): Promise<void> {
	const { values, positionals } = parseArgs({
		args: argv,
		allowPositionals: true,
		options: {
			port: { type: "string" },
			host: { type: "string" },
			"data-dir": { type: "string" },
			postgres: { type: "string" },
			schema: { type: "string" },
			"node-id": { type: "string" },
			advertise: { type: "string" },
			"lease-ttl": { type: "string" },
			help: { type: "boolean", short: "h" },
		},
	});
	if (values.help) {
		process.stdout.write(USAGE);
		return;
	}
	const port = values.port === undefined ? undefined : Number(values.port);
	if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
		fail(`invalid --port ${values.port}`);
	}
	const leaseTtl = values["lease-ttl"] === undefined ? undefined : Number(values["lease-ttl"]);
	if (leaseTtl !== undefined && (!Number.isFinite(leaseTtl) || leaseTtl < 100)) {
		fail(`invalid --lease-ttl ${values["lease-ttl"]} (ms, at least 100)`);
	}
	const registry = await loadRegistry(positionals[0]);
	const postgresUrl = values.postgres ?? process.env.TENON_POSTGRES_URL;
	let storage: StorageDriver | undefined;
	if (postgresUrl) {
		storage = postgresDriver({
			url: postgresUrl,
			...(values.schema ? { schema: values.schema } : {}),
			cluster: {
				...(values["node-id"] ? { nodeId: values["node-id"] } : {}),
				...(leaseTtl ? { leaseTtlMs: leaseTtl } : {}),
			},
		});
	} else if (values["data-dir"]) {
		storage = lmdbDriver({ path: values["data-dir"] });
	}
	const server = await registry.start({
		...(port === undefined ? {} : { port }),
		...(values.host ? { host: values.host } : {}),
		...(storage ? { storage } : {}),
		...(values.advertise ? { advertise: values.advertise } : {}),
	});
	process.stdout.write(
		`Tenon is running at ${server.url} (${postgresUrl ? "cluster node on PostgreSQL" : "single node"})\n`,
	);
	// The first signal closes (draining first, with TENON_DRAIN_MS); a second ends the drain
	// and goes on closing (actors still sleep and save: a second Ctrl-C killed the process
	// mid-drain, its leases left to expire); a third exits at once.
	// A signal to the process group (Ctrl-C, systemd's KillMode=control-group) reaches this
	// process directly and again through each wrapper that passes signals on (bin/tenon.mjs,
	// tsx, npm): those that come together count once, or one Ctrl-C skipped the drain. Times
	// are taken as the handler runs, so the close is begun outside it: the copies behind the
	// first are handled at once, not after the close's first steps (a review).
	let signals = 0;
	let counted = Number.NEGATIVE_INFINITY;
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.on(signal, () => {
			const now = performance.now();
			if (now - counted < SAME_SIGNAL_MS) return;
			counted = now;
			signals++;
			if (signals >= 3) process.exit(130);
			setImmediate(() => void server.close().then(() => process.exit(0)));
		});
	}
}

const [command, ...rest] = process.argv.slice(2);
if (command === "start") await start(rest);
else if (command === undefined || command === "help" || command === "--help" || command === "-h") {
	process.stdout.write(USAGE);
} else fail(`unknown command '${command}'`);
