// `npm start` works: the example server starts on the embedded store and
// serves every example actor.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient as createRivetKitClient } from "rivetkit/client";
import { createClient } from "tenon/client";
import { afterAll, expect, it } from "vitest";
import { issueToken } from "./auth/tokens.js";
import type { registry } from "./registry.js";

const SECRET = "examples-secret-for-the-start-test";

const root = join(import.meta.dirname, "..");
const dataDir = mkdtempSync(join(tmpdir(), "tenon-start-"));
let child: ChildProcess | undefined;
afterAll(() => {
	try {
		if (child?.pid) process.kill(-child.pid, "SIGKILL");
	} catch {}
	rmSync(dataDir, { recursive: true, force: true });
});

it("npm start serves the example registry", async () => {
	child = spawn("npm", ["start", "--silent"], {
		cwd: root,
		env: {
			...process.env,
			TENON_PORT: "0",
			TENON_DATA_DIR: dataDir,
			EXAMPLES_AUTH_SECRET: SECRET,
		},
		stdio: ["ignore", "pipe", "inherit"],
		detached: true,
	});
	let output = "";
	const url = await new Promise<string>((resolve, reject) => {
		child?.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Tenon is running at (\S+)/.exec(output);
			if (match) resolve(match[1] as string);
		});
		child?.once("exit", (code) => reject(new Error(`npm start exited (${code}): ${output}`)));
	});
	const response = await fetch(
		`${url}/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=demo`,
		{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[1]}' },
	);
	expect(await response.json()).toEqual({ output: 1 });
	// On this machine only by default, and the demo tokens it prints work.
	expect(new URL(url).hostname).toBe("127.0.0.1");
	const printed = /alice \(user\):\s+(\S+)/.exec(output)?.[1];
	expect(printed).toBeDefined();
	const client = createClient<typeof registry>(url);
	const token = issueToken({ userId: "me", roles: [] }, 60_000, SECRET);
	const todos = client.todoList.getOrCreate("me", { params: { token } });
	await todos.add("try tenon");
	expect((await todos.list()).map((todo) => todo.title)).toEqual(["try tenon"]);
	const alice = client.todoList.getOrCreate("alice", { params: { token: printed as string } });
	await alice.add("from the printed token");
	expect(await alice.stats()).toEqual({ total: 1, done: 0 });
	const room = client.chatHistory.getOrCreate("lobby", { params: { token } });
	expect(await room.count()).toBe(0);
	await client.dispose();
	// RivetKit's unmodified client, in its default encoding (bare) and the two
	// others, over a connection: the registry loads tenon/db (wa-sqlite), whose
	// BigInt.prototype.toJSON once broke JSON replies on connections.
	for (const encoding of [undefined, "cbor", "json"] as const) {
		const rivet: any = createRivetKitClient({
			endpoint: url,
			...(encoding ? { encoding } : {}),
		} as never);
		const conn = rivet.counter.getOrCreate([`rivetkit-${encoding ?? "bare"}`]).connect();
		const seen: number[] = [];
		conn.on("changed", (count: number) => seen.push(count));
		expect(await conn.increment(2)).toBe(2);
		expect(await conn.increment(3)).toBe(5);
		await expect.poll(() => seen).toEqual([2, 5]);
		await conn.dispose();
		await rivet.dispose();
	}
	// The whole npm process group: npm and the server it started.
	if (child.pid) process.kill(-child.pid, "SIGTERM");
}, 60_000);
