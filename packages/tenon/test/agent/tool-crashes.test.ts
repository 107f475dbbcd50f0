// A tool call the server dies in runs again after the restart ("tools run at least once",
// docs/agents.md), however many times in a row, up to three crashes of one call; a fourth
// ends the call as `agent/tool_crashed`, saying its effect is unknown. Before 2026-11-29 the
// second crash failed the call as an internal error, the tool not run again (an attacker
// probe: in a life after a crash every attempt is journaled before it runs, and the tool's
// step allowed one).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LLMock } from "@copilotkit/aimock";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { type ChildServer, startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { crashRegistry } from "./agent-server.js";

const fixture = join(import.meta.dirname, "agent-server.ts");
let mock: LLMock;
let mockUrl: string;
const dirs: string[] = [];

beforeAll(async () => {
	mock = new LLMock({ port: 0 });
	mockUrl = `${await mock.start()}/v1`;
	for (const task of ["a", "b"]) {
		mock.on(
			{ userMessage: `slow ${task}`, hasToolResult: false },
			{ toolCalls: [{ name: "slow_task", arguments: JSON.stringify({ task }) }] },
		);
		mock.on({ userMessage: `slow ${task}`, hasToolResult: true }, { content: `Finished ${task}.` });
	}
});
afterAll(async () => {
	await mock.stop();
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("a tool call reruns after each of three crashes in a row, and a fourth ends it as tool_crashed", async () => {
	const dataDir = tempDataDir("agent-tool-crashes");
	dirs.push(dataDir);
	const toolLog = join(dataDir, "tool.log");
	writeFileSync(toolLog, "");
	const env = {
		TENON_DATA_DIR: join(dataDir, "db"),
		MOCK_URL: mockUrl,
		TOOL_LOG: toolLog,
		SLOW_TOOL_MS: "60000",
	};
	let server: ChildServer = await startChildServer(fixture, env);
	const port = new URL(server.url).port;
	const starts = (task: string) =>
		readFileSync(toolLog, "utf8")
			.split("\n")
			.filter((line) => line === `start ${task}`).length;
	/** Kills the server once the tool started `n` times, and starts it again. */
	const killAtStart = async (task: string, n: number, slowMs: string) => {
		await expect.poll(() => starts(task), { timeout: 20_000 }).toBe(n);
		await server.kill();
		server = await startChildServer(fixture, { ...env, SLOW_TOOL_MS: slowMs, TENON_PORT: port });
	};
	const client = createClient<typeof crashRegistry>({
		endpoint: server.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 100 },
	});
	const conn = client.assistant.getOrCreate("tools", { params: { user: "ann" } }).connect();
	const reader = () => client.assistant.getOrCreate("tools", { params: { user: "ann" } }).history();
	try {
		// Three crashes while it runs: it runs a fourth time, to its end.
		await conn.prompt("slow a");
		await killAtStart("a", 1, "60000");
		await killAtStart("a", 2, "60000");
		await killAtStart("a", 3, "100");
		await expect
			.poll(async () => (await reader()).at(-1)?.content, { timeout: 20_000 })
			.toBe("Finished a.");
		expect(starts("a")).toBe(4);
		const resultA = (await reader()).find((m) => m.role === "tool");
		expect([resultA?.status, JSON.parse(resultA?.content as string)]).toEqual([
			"complete",
			{ done: "a" },
		]);

		// Four crashes: the model is told it failed, and that its effect is unknown.
		await conn.prompt("slow b");
		for (const n of [1, 2, 3, 4]) await killAtStart("b", n, "60000");
		await expect
			.poll(async () => (await reader()).at(-1)?.content, { timeout: 20_000 })
			.toBe("Finished b.");
		expect(starts("b")).toBe(4);
		const resultB = (await reader()).filter((m) => m.role === "tool").at(-1);
		expect(resultB?.status).toBe("failed");
		expect(JSON.parse(resultB?.content as string).error).toMatch(
			/^the tool failed: agent\/tool_crashed: .*whether it took effect is not known/,
		);
	} finally {
		await client.dispose();
		await server.kill();
	}
}, 120_000);
