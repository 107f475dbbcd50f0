// The README's cluster walkthrough: `npx tenon start examples/registry.ts
// --postgres <url> --port <n>` on several nodes, one PostgreSQL.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "tenon/client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { issueToken } from "../examples/auth/tokens.js";
import type { registry } from "../examples/registry.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../packages/tenon/test/helpers/postgres.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "packages", "tenon", "bin", "tenon.mjs");
const schema = freshSchema();
// Every node verifies the examples' tokens with the same secret.
const SECRET = "cluster-walkthrough-secret";
const children: ChildProcess[] = [];

beforeAll(assertPostgresReachable);
afterAll(async () => {
	for (const child of children) child.kill("SIGKILL");
	await dropSchema(schema);
	await closeAdmin();
});

function startNode(): Promise<string> {
	const child = spawn(
		process.execPath,
		[
			bin,
			"start",
			"examples/registry.ts",
			"--postgres",
			POSTGRES_URL,
			"--schema",
			schema,
			"--port",
			"0",
			"--host",
			"127.0.0.1",
		],
		{
			cwd: root,
			env: { ...process.env, TENON_LOG_LEVEL: "warn", EXAMPLES_AUTH_SECRET: SECRET },
			stdio: ["ignore", "pipe", "inherit"],
		},
	);
	children.push(child);
	return new Promise((resolve, reject) => {
		let output = "";
		child.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Tenon is running at (\S+)/.exec(output);
			if (match) resolve(match[1] as string);
		});
		child.once("exit", (code) => reject(new Error(`tenon start exited (${code}): ${output}`)));
	});
}

it("tenon start runs cluster nodes that serve the same actors", async () => {
	const [first, second] = await Promise.all([startNode(), startNode()]);
	const a = createClient<typeof registry>(first as string);
	const b = createClient<typeof registry>(second as string);
	expect(await a.counter.getOrCreate("walkthrough").increment(1)).toBe(1);
	expect(await b.counter.getOrCreate("walkthrough").increment(1)).toBe(2);
	// SQLite-backed actors work through any node as well.
	const params = { token: issueToken({ userId: "me", roles: [] }, 60_000, SECRET) };
	await b.todoList.getOrCreate("me", { params }).add("try the cluster");
	expect((await a.todoList.getOrCreate("me", { params }).list()).map((todo) => todo.title)).toEqual(
		["try the cluster"],
	);
	await a.dispose();
	await b.dispose();
	for (const child of children) child.kill("SIGTERM");
}, 60_000);

it("prints usage for bad arguments", async () => {
	const child = spawn(process.execPath, [bin, "start", "--port", "nope"], {
		cwd: root,
		env: { ...process.env, TENON_CLI_FROM_SOURCE: "1" },
	});
	let stderr = "";
	child.stderr?.on("data", (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const code = await new Promise((resolve) => child.once("exit", resolve));
	expect(code).toBe(2);
	expect(stderr).toContain("invalid --port nope");
	expect(stderr).toContain("Usage: tenon start");
});

it("tenon start drains on SIGTERM, and a second SIGTERM ends the drain and closes", async () => {
	const dataDir = mkdtempSync(join(tmpdir(), "tenon-cli-drain-"));
	const child = spawn(
		process.execPath,
		[
			bin,
			"start",
			"examples/registry.ts",
			"--data-dir",
			dataDir,
			"--port",
			"0",
			"--host",
			"127.0.0.1",
		],
		{
			cwd: root,
			env: {
				...process.env,
				TENON_LOG_LEVEL: "info",
				TENON_LOG_FORMAT: "json",
				TENON_DRAIN_MS: "30000",
				EXAMPLES_AUTH_SECRET: SECRET,
			},
			stdio: ["ignore", "pipe", "pipe"],
		},
	);
	children.push(child);
	let logs = "";
	child.stderr?.on("data", (chunk: Buffer) => {
		logs += chunk.toString();
	});
	try {
		const url = await new Promise<string>((resolve, reject) => {
			let output = "";
			child.stdout?.on("data", (chunk: Buffer) => {
				output += chunk.toString();
				const match = /Tenon is running at (\S+)/.exec(output);
				if (match) resolve(match[1] as string);
			});
			child.once("exit", (code) => reject(new Error(`tenon start exited (${code}): ${output}`)));
		});
		const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
		expect((await fetch(`${url}/ready`)).status).toBe(200);
		child.kill("SIGTERM");
		await expect.poll(async () => (await fetch(`${url}/ready`)).status).toBe(503);
		expect(await (await fetch(`${url}/ready`)).json()).toMatchObject({ reason: "draining" });
		// Still serving while it drains.
		const client = createClient<typeof registry>(url);
		expect(await client.counter.getOrCreate("drain").increment(1)).toBe(1);
		await client.dispose();
		// Another signal, not a copy of the first (those that come within 200 ms count once: a
		// signal to the process group reaches the server again through the command's wrappers).
		await new Promise((resolve) => setTimeout(resolve, 250));
		const cutAt = performance.now();
		child.kill("SIGTERM");
		expect(await exited).toBe(0);
		expect(performance.now() - cutAt).toBeLessThan(10_000);
		expect(logs).toContain("tenon drain cut short");
		expect(logs).toContain("tenon stopped");
	} finally {
		child.kill("SIGKILL");
		rmSync(dataDir, { recursive: true, force: true });
	}
}, 60_000);
