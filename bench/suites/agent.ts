// An agent's answer streamed from a mock model through an agent actor to its
// connected clients, next to the mock model's own rate (the floor: the same
// stream read directly by the same OpenAI-compatible client). The mock runs in
// a process of its own, paced like a fast model:
//   A1. tokens/s to 1 client;  A2. tokens/s to 100 clients on one conversation.
// A token is one chunk of the model's stream; every client must receive the
// whole answer (placed by offset) before the time stops.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAIModel } from "../../packages/tenon/src/agent/openai-model.js";
import { createClient } from "../../packages/tenon/src/client/index.js";
import { startBundled } from "../lib/process.js";
import { progress } from "../lib/progress.js";
import type { BenchRow } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import type { agentRegistry } from "../servers/agent.js";

const CHUNK = 4;
/** The mock model's pause between chunks: about a thousand tokens a second, a fast model. */
const MOCK_LATENCY_MS = 1;
const WORD = "tok ";

interface Plan {
	tokens: number;
	runs: number;
	clients: number[];
}
const QUICK: Plan = { tokens: 300, runs: 2, clients: [1, 100] };
const FULL: Plan = { tokens: 4_000, runs: 5, clients: [1, 100] };

/** The mock model's own rate (tokens/s from its first token to its last) and its time to the first token. */
async function floorRun(
	baseURL: string,
	prompt: string,
	tokens: number,
): Promise<{ rate: number; firstMs: number }> {
	const model = openAIModel({ baseURL, model: "bench", timeoutMs: 600_000 });
	const started = performance.now();
	let first = 0;
	let last = 0;
	let received = 0;
	for await (const event of model.stream({ messages: [{ role: "user", content: prompt }] }))
		if (event.type === "text") {
			last = performance.now();
			if (received++ === 0) first = last;
		}
	if (received !== tokens) throw new Error(`floor: ${received} of ${tokens} tokens`);
	return { rate: tokens / ((last - first) / 1_000), firstMs: first - started };
}

export async function agentSuite(options: { quick: boolean }): Promise<BenchRow[]> {
	const plan = options.quick ? QUICK : FULL;
	const text = WORD.repeat(plan.tokens);
	const prompt = "stream the benchmark answer";
	const mock = await startBundled(join(import.meta.dirname, "..", "servers", "mock-llm.ts"), {
		MOCK_TOKENS: String(plan.tokens),
		MOCK_LATENCY: String(MOCK_LATENCY_MS),
	});
	const baseURL = mock.url;
	const dataDir = mkdtempSync(join(tmpdir(), "tenon-bench-agent-"));
	const server = await startBundled(join(import.meta.dirname, "..", "servers", "agent.ts"), {
		MOCK_URL: baseURL,
		TENON_DATA_DIR: dataDir,
		TENON_LOG_LEVEL: "error",
	});
	const rows: BenchRow[] = [];
	try {
		await floorRun(baseURL, prompt, plan.tokens);
		for (const [index, count] of plan.clients.entries()) {
			const workload = `A${index + 1}. answer tokens/s streamed to ${count} connected client${count === 1 ? "" : "s"}`;
			progress(`agent › ${workload}`);
			// The floor right before, so both see the same machine load.
			const floorRuns = [];
			for (let run = 0; run < plan.runs; run++)
				floorRuns.push(await floorRun(baseURL, prompt, plan.tokens));
			const floor = floorRuns.map((run) => run.rate);
			const floorMedian = summarize(floor).median;
			const floorFirst = summarize(floorRuns.map((run) => run.firstMs)).median;
			const client = createClient<typeof agentRegistry>({
				messageRate: false,
				endpoint: server.url,
			});
			const conns = Array.from({ length: count }, () =>
				client.agent.getOrCreate(`bench-${count}`).connect(),
			);
			const rates: number[] = [];
			const firstTokens: number[] = [];
			/** The run in progress, as each client sees it. */
			let round: { first: number; last: number; pending: Promise<void>[] } | undefined;
			const arrivals = conns.map((conn) => {
				const client = { length: 0, resolve: () => {}, reject: (_error: Error) => {} };
				conn.on("token", (token) => {
					if (round === undefined) return;
					if (token.offset !== client.length) client.reject(new Error(`gap at ${token.offset}`));
					client.length = token.offset + token.text.length;
					const now = performance.now();
					if (now < round.first) round.first = now;
					if (client.length === text.length && now > round.last) round.last = now;
				});
				conn.on("message", (message) => {
					if (message.role !== "assistant") return;
					if (client.length !== text.length || message.content !== text)
						client.reject(new Error(`a client got ${client.length} of ${text.length} characters`));
					else client.resolve();
				});
				return client;
			});
			// Every connection is open and subscribed (its subscriptions went before this call).
			await Promise.all(conns.map((conn) => conn.live()));
			// One run unmeasured: the actor's first turn, its database, the model connection.
			for (let run = -1; run < plan.runs; run++) {
				round = { first: Number.POSITIVE_INFINITY, last: 0, pending: [] };
				for (const client of arrivals) {
					client.length = 0;
					round.pending.push(
						new Promise<void>((resolve, reject) => {
							client.resolve = resolve;
							client.reject = reject;
						}),
					);
				}
				const done = round.pending;
				const started = performance.now();
				await conns[0]?.prompt(prompt);
				await Promise.all(done);
				if (run < 0) continue;
				// The stream's rate: from the first token any client saw to the last client's last.
				rates.push(plan.tokens / ((round.last - round.first) / 1_000));
				firstTokens.push(round.first - started);
			}
			await Promise.all(conns.map((conn) => conn.dispose()));
			await client.dispose();
			const summary = summarize(rates);
			rows.push({
				suite: "agent",
				workload,
				system: "Tenon (lmdb)",
				durability: "answer stored when complete",
				summary,
				rate: summary.median,
				note: `${plan.tokens} tokens of ${CHUNK} characters, from the first token to the last client's last; ${(summary.median / floorMedian).toFixed(2)}× the model's own rate; first token ${summarize(firstTokens).median.toFixed(1)} ms after the prompt (model direct: ${floorFirst.toFixed(1)} ms)`,
			});
			rows.push({
				suite: "agent",
				workload,
				system: "floor: the mock model read directly",
				durability: "nothing stored",
				summary: summarize(floor),
				rate: floorMedian,
				note: `aimock in its own process (${MOCK_LATENCY_MS} ms between chunks), read by openAIModel in the benchmark process`,
			});
		}
	} finally {
		await server.stop();
		await mock.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
	return rows;
}
