// The agent server the benchmark drives: an agent actor on LMDB whose model
// is the benchmark's mock LLM (MOCK_URL).

import { lmdbDriver, setup } from "tenon";
import { agentActor, openAIModel } from "tenon/agent";

const mockUrl = process.env.MOCK_URL;
const dataDir = process.env.TENON_DATA_DIR;
if (!mockUrl || !dataDir) throw new Error("MOCK_URL and TENON_DATA_DIR are required");

const agent = agentActor({
	model: openAIModel({ baseURL: mockUrl, model: "bench", timeoutMs: 600_000 }),
	// Every connection is the same benchmark user (a real app reads a verified token).
	identify: () => ({ id: "bench" }),
	rateLimit: false,
	options: { sleepTimeout: 600_000 },
});

export const agentRegistry = setup({ use: { agent }, storage: lmdbDriver({ path: dataDir }) });
const server = await agentRegistry.start({
	port: 0,
	host: "127.0.0.1",
});
process.stdout.write(`READY ${server.url}\n`);
