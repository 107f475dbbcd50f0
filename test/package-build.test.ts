// The published layout works: build dist with tsc, then use `tenon`,
// `tenon/client`, `tenon/test`, `tenon/workflow` and `tenon/db` from plain Node (no TypeScript loader, no
// source condition), exactly as an installed package would be used.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

const smoke = `
import { actor, event, memoryDriver, setup } from "tenon";
import { ActorError, createClient } from "tenon/client";
import { setupTest } from "tenon/test";
import { workflow } from "tenon/workflow";
import { db } from "tenon/db";

const counter = actor({
	state: { n: 0 },
	events: { changed: event() },
	actions: { inc: (c) => { c.state.n++; c.broadcast("changed", c.state.n); return c.state.n; } },
});
const flow = actor({
	state: { steps: 0 },
	actions: { steps: (c) => c.state.steps },
	run: workflow(async (ctx) => {
		await ctx.step("one", (c) => { c.state.steps++; });
		await ctx.step("two", (c) => { c.state.steps++; });
	}),
});
const notes = actor({
	db: db({ onMigrate: (db) => db.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)") }),
	actions: {
		add: (c, body) => c.db.execute("INSERT INTO notes VALUES (?)", body),
		all: (c) => c.db.execute("SELECT body FROM notes"),
	},
});
const registry = setup({
	use: { counter, flow, notes },
	storage: memoryDriver(),
	inspector: { token: "inspector-token-0123456789" },
	logLevel: "silent",
});

const t = await setupTest(registry);
const viaTestKit = await t.client.counter.getOrCreate("a").inc();
const wf = t.client.flow.getOrCreate("w");
let workflowSteps = await wf.steps();
while (workflowSteps < 2) { await new Promise((r) => setTimeout(r, 5)); workflowSteps = await wf.steps(); }
const noteHandle = t.client.notes.getOrCreate("n");
await noteHandle.add("hello");
const sqlRows = await noteHandle.all();
// The SQL console reads on a worker thread, started from dist/db/inspect-worker.js.
const consoleAnswer = await fetch(\`\${t.url}/inspector/actors/\${await noteHandle.resolve()}/db/query\`, {
	method: "POST",
	headers: { authorization: "Bearer inspector-token-0123456789", "content-type": "application/json" },
	body: JSON.stringify({ sql: "SELECT count(*) AS n FROM notes" }),
}).then((response) => response.json());
const consoleRows = consoleAnswer.rows;
await t.stop();

const server = await registry.start({ port: 0, host: "127.0.0.1" });
const client = createClient({ endpoint: server.url });
const conn = client.counter.getOrCreate("b").connect();
const events = [];
conn.on("changed", (n) => events.push(n));
const viaConnection = await conn.inc();
while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
let notFound;
try { await client.counter.get("missing").inc(); } catch (e) { notFound = e instanceof ActorError ? e.code : String(e); }
await client.dispose();
await server.close();
console.log(JSON.stringify({ viaTestKit, viaConnection, events, notFound, workflowSteps, sqlRows, consoleRows }));
`;

it("builds and runs from dist without a TypeScript loader", () => {
	const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, encoding: "utf8" });
	expect(build.status, build.stdout + build.stderr).toBe(0);
	// Inside the repository so `tenon` resolves through node_modules, like an install.
	const cache = join(root, "node_modules", ".cache");
	mkdirSync(cache, { recursive: true });
	const dir = mkdtempSync(join(cache, "tenon-smoke-"));
	const file = join(dir, "smoke.mjs");
	writeFileSync(file, smoke);
	const run = spawnSync(process.execPath, [file], { cwd: dir, encoding: "utf8", timeout: 30_000 });
	expect(run.status, run.stderr).toBe(0);
	expect(JSON.parse(run.stdout.trim())).toEqual({
		viaTestKit: 1,
		viaConnection: 1,
		events: [1],
		notFound: "not_found",
		workflowSteps: 2,
		sqlRows: [{ body: "hello" }],
		consoleRows: [[1]],
	});
	// A third-party driver imports the storage conformance suites from the package.
	const suites = spawnSync(
		process.execPath,
		[
			"--input-type=module",
			"-e",
			'const m = await import("tenon/test/storage-conformance"); console.log(Object.keys(m).filter((k) => k.startsWith("describe")).sort().join(","));',
		],
		{ cwd: dir, encoding: "utf8", timeout: 30_000 },
	);
	expect(suites.status, suites.stderr).toBe(0);
	expect(suites.stdout.trim()).toBe(
		"describeAlarmConformance,describeDirectoryConformance,describePlacementConformance,describeStoreConformance",
	);
}, 60_000);
