// An agent's turn survives SIGKILL: the server is killed while an answer
// streams, while prompts wait in the queue, and while a high-risk call waits
// for its confirmation; after each restart the turn goes on (the answer
// streams again from its start, under the same message id), no prompt is
// lost, every prompt gets its turn in order, and the confirmed tool runs once.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LLMock } from "@copilotkit/aimock";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AgentChat } from "../../src/client/agent-chat.js";
import { createClient } from "../../src/client/index.js";
import { type ChildServer, startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { crashRegistry } from "./agent-server.js";

const fixture = join(import.meta.dirname, "agent-server.ts");
const STORY = Array.from({ length: 60 }, (_, i) => `Sentence ${i} of a long story.`).join(" ");
let mock: LLMock;
let mockUrl: string;
const dirs: string[] = [];

beforeAll(async () => {
	mock = new LLMock({ port: 0, chunkSize: 6 });
	mockUrl = `${await mock.start()}/v1`;
	mock.onMessage("tell a long story", { content: STORY }, { latency: 15 });
	for (const n of [1, 2, 3]) mock.onMessage(`quick ${n}`, { content: `answer ${n}` });
	mock.on(
		{ userMessage: "ship order 42", hasToolResult: false },
		{ toolCalls: [{ name: "ship_order", arguments: '{"orderId":"42"}' }] },
	);
	mock.on({ userMessage: "ship order 42", hasToolResult: true }, { content: "Shipped." });
});
afterAll(async () => {
	await mock.stop();
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("a turn resumes after SIGKILL mid-stream, mid-queue and mid-confirmation; no prompt is lost", async () => {
	const dataDir = tempDataDir("agent-sigkill");
	dirs.push(dataDir);
	const toolLog = join(dataDir, "tool.log");
	writeFileSync(toolLog, "");
	const env = { TENON_DATA_DIR: join(dataDir, "db"), MOCK_URL: mockUrl, TOOL_LOG: toolLog };
	let server: ChildServer = await startChildServer(fixture, env);
	const port = new URL(server.url).port;
	const restart = async () => {
		await server.kill();
		server = await startChildServer(fixture, { ...env, TENON_PORT: port });
	};
	const client = createClient<typeof crashRegistry>({
		endpoint: server.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 100 },
	});
	try {
		const conn = client.assistant.getOrCreate("crash", { params: { user: "ann" } }).connect();
		conn.onSharedState(() => {});
		const chat = new AgentChat(conn);

		// 1. Killed while the answer streams: it streams again, whole.
		const story = await conn.prompt("tell a long story");
		await expect
			.poll(() => chat.view.streaming?.text.length ?? 0, { timeout: 10_000 })
			.toBeGreaterThan(40);
		// 2. Prompts queued behind it are acknowledged, so they must survive too.
		const quick = [
			await conn.prompt("quick 1"),
			await conn.prompt("quick 2"),
			await conn.prompt("quick 3"),
		];
		await restart();
		await expect
			.poll(() => chat.view.messages.filter((m) => m.role === "assistant").length, {
				timeout: 20_000,
			})
			.toBe(4);
		const assistants = chat.view.messages.filter((m) => m.role === "assistant");
		expect(assistants.map((m) => [m.turnId, m.content, m.status])).toEqual([
			[story.turnId, STORY, "complete"],
			[quick[0]?.turnId, "answer 1", "complete"],
			[quick[1]?.turnId, "answer 2", "complete"],
			[quick[2]?.turnId, "answer 3", "complete"],
		]);
		const prompts = chat.view.messages.filter((m) => m.role === "user").map((m) => m.content);
		expect(prompts).toEqual(["tell a long story", "quick 1", "quick 2", "quick 3"]);

		// 3. Killed while a high-risk call waits: still pending after the restart, and runs once approved.
		const shipping = await conn.prompt("ship order 42");
		await expect
			.poll(() => conn.sharedState?.pending?.tool, { timeout: 10_000 })
			.toBe("ship_order");
		await restart();
		await expect
			.poll(() => chat.view.status === "confirming" && conn.connStatus === "connected", {
				timeout: 10_000,
			})
			.toBe(true);
		const pending = conn.sharedState?.pending;
		expect(pending?.turnId).toBe(shipping.turnId);
		expect(readFileSync(toolLog, "utf8")).toBe("");
		await conn.confirm(pending?.callId as string, true);
		await expect
			.poll(() => chat.view.messages.at(-1)?.content, { timeout: 10_000 })
			.toBe("Shipped.");
		expect(readFileSync(toolLog, "utf8")).toBe("ann:42\n");

		// A last restart: the whole transcript is there, each message once.
		await restart();
		const reader = createClient<typeof crashRegistry>({ endpoint: server.url });
		const history = await reader.assistant
			.getOrCreate("crash", { params: { user: "bob" } })
			.history();
		expect(history.map((m) => m.role)).toEqual([
			"user",
			"assistant",
			"user",
			"assistant",
			"user",
			"assistant",
			"user",
			"assistant",
			"user",
			"assistant",
			"tool",
			"assistant",
		]);
		expect(new Set(history.map((m) => m.id)).size).toBe(history.length);
		await reader.dispose();
		chat.close();
	} finally {
		await client.dispose();
		await server.kill();
	}
}, 90_000);
