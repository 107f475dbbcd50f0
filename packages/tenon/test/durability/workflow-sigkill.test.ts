import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { lmdbDriver } from "../../src/index.js";
import { readWorkflowHistory } from "../../src/workflow/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { workflowRegistry } from "./fixtures/workflows.js";

const fixture = join(import.meta.dirname, "fixtures", "workflow-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const WORKFLOWS = 50;
const MIN_KILLS = 20;
const STEPS = [
	"a",
	"b",
	"loop[0]/tick",
	"loop[1]/tick",
	"loop[2]/tick",
	"fan.x/x",
	"fan.y/y",
	"final",
];

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
		return state / 2_147_483_648;
	};
}

type Client = ReturnType<typeof createClient<typeof workflowRegistry>>;

async function allDone(client: Client, keys: string[]): Promise<boolean> {
	const done = await Promise.all(keys.map((key) => client.job.getOrCreate(key).status()));
	return done.every(Boolean);
}

describe("workflows under SIGKILL (lmdb)", () => {
	it(`${WORKFLOWS} workflows complete across repeated kills; journaled steps never run again`, async () => {
		const dataDir = tempDataDir("workflow-sigkill");
		dirs.push(dataDir);
		const effectsFile = join(dataDir, "effects.log");
		writeFileSync(effectsFile, "");
		const env = { TENON_DATA_DIR: dataDir, TENON_EFFECTS_FILE: effectsFile };
		const keys = Array.from({ length: WORKFLOWS }, (_, i) => `wf-${i}`);
		const started = new Set<string>();
		const next = random(7);
		let kills = 0;

		// Start the workflows, then kill the server at random points while they
		// run. Restarted servers resume them on their own (alarms), untouched.
		while (kills < MIN_KILLS) {
			const server = await startChildServer(fixture, env);
			const client = createClient<typeof workflowRegistry>({ endpoint: server.url });
			for (const key of keys) {
				if (started.has(key)) continue;
				void client.job
					.getOrCreate(key)
					.status()
					.then(() => started.add(key))
					.catch(() => {});
			}
			await new Promise((resolve) => setTimeout(resolve, 80 + Math.floor(next() * 320)));
			await server.kill();
			kills++;
			await client.dispose();
		}

		// A last start without kills: everything must finish.
		const server = await startChildServer(fixture, env);
		const client = createClient<typeof workflowRegistry>({ endpoint: server.url });
		const deadline = Date.now() + 60_000;
		while (!(await allDone(client, keys)) && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		const ids = await Promise.all(keys.map((key) => client.job.getOrCreate(key).resolve()));
		expect(await allDone(client, keys)).toBe(true);
		await client.dispose();
		await server.stop();

		// Audit: every execution of every step, in the order they happened.
		const executions = new Map<string, string[]>();
		for (const line of readFileSync(effectsFile, "utf8").split("\n")) {
			if (line === "") continue;
			const [key, step, execution] = line.split(" ") as [string, string, string];
			const id = `${key} ${step}`;
			executions.set(id, [...(executions.get(id) ?? []), execution]);
		}
		const handles = await lmdbDriver({ path: dataDir }).open();
		let steps = 0;
		let ranOnce = 0;
		let ranAgainBeforeJournaled = 0;
		let neverRan = 0;
		let ranAfterJournaled = 0;
		try {
			for (const [index, key] of keys.entries()) {
				const history = await readWorkflowHistory(handles.store, ids[index] as string);
				expect(history.status).toBe("completed");
				for (const step of STEPS) {
					steps++;
					const runs = executions.get(`${key} ${step}`) ?? [];
					const entry = history.entries.find((e) => e.location === step);
					if (runs.length === 0) neverRan++;
					// The journaled result names the execution that counted; any run
					// after it would be a journaled step running again.
					const journaledAt = runs.indexOf(entry?.output as string);
					expect(journaledAt).toBeGreaterThanOrEqual(0);
					ranAfterJournaled += runs.length - 1 - journaledAt;
					if (runs.length === 1) ranOnce++;
					else ranAgainBeforeJournaled += runs.length - 1;
				}
			}
		} finally {
			await handles.close();
		}
		console.log(
			`[durability/workflows] SIGKILLs=${kills} workflows=${WORKFLOWS} completed=${WORKFLOWS} steps=${steps} ran-once=${ranOnce} re-runs-before-journaled=${ranAgainBeforeJournaled} never-ran=${neverRan} re-runs-after-journaled=${ranAfterJournaled}`,
		);
		expect(neverRan).toBe(0);
		expect(ranAfterJournaled).toBe(0);
		expect(steps).toBe(WORKFLOWS * STEPS.length);
	}, 300_000);
});
