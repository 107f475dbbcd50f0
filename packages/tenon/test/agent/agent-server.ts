// Child-process server for the agent crash test: an agent on LMDB whose model
// is the test's mock LLM (MOCK_URL), on TENON_PORT (clients reconnect to the
// restarted server) or a free port.
import { appendFileSync } from "node:fs";
import { z } from "zod";
import { agentActor, defineTool, openAIModel } from "../../src/agent/index.js";
import { lmdbDriver, setup } from "../../src/index.js";

const dataDir = process.env.TENON_DATA_DIR;
const mockUrl = process.env.MOCK_URL;
const toolLog = process.env.TOOL_LOG;
if (!dataDir || !mockUrl || !toolLog)
	throw new Error("TENON_DATA_DIR, MOCK_URL and TOOL_LOG are required");

/** A high-risk tool that leaves a trace outside the actor (a file), to count its runs. */
const ship = defineTool({
	name: "ship_order",
	description: "Ships an order",
	input: z.object({ orderId: z.string().max(20) }).strict(),
	risk: "high",
	execute: ({ orderId }, { requester }) => {
		appendFileSync(toolLog, `${requester.id}:${orderId}\n`);
		return { shipped: orderId };
	},
});

/** A low-risk tool that runs for a while (SLOW_TOOL_MS): the server is killed while it runs. */
const slowTask = defineTool({
	name: "slow_task",
	description: "Does a slow task",
	input: z.object({ task: z.string().max(20) }).strict(),
	execute: async ({ task }) => {
		appendFileSync(toolLog, `start ${task}\n`);
		await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLOW_TOOL_MS ?? 2_000)));
		appendFileSync(toolLog, `end ${task}\n`);
		return { done: task };
	},
});

export const crashRegistry = setup({
	use: {
		assistant: agentActor({
			model: openAIModel({ baseURL: mockUrl, model: "mock", timeoutMs: 30_000 }),
			tools: [ship, slowTask],
			createConnState: (_c, params: { user: string }) => ({ user: String(params.user) }),
			identify: (conn) => ({ id: conn.state.user }),
		}),
	},
	storage: lmdbDriver({ path: dataDir }),
});

const server = await crashRegistry.start({
	port: Number(process.env.TENON_PORT ?? 0),
	host: "127.0.0.1",
});
process.stdout.write(`TENON_READY ${server.url}\n`);
process.once("SIGTERM", () => {
	void server.close().then(() => process.exit(0));
});
