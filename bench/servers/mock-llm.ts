// The mock LLM the agent benchmark streams from (aimock, OpenAI-compatible),
// in a process of its own so that neither Tenon nor the clients share its CPU
// time: one answer of MOCK_TOKENS chunks of 4 characters, MOCK_LATENCY ms apart.
import { LLMock } from "@copilotkit/aimock";

const tokens = Number(process.env.MOCK_TOKENS ?? 1_000);
const latency = Number(process.env.MOCK_LATENCY ?? 0);
const mock = new LLMock({ host: "127.0.0.1", port: 0, chunkSize: 4, latency });
mock.onMessage("stream the benchmark answer", { content: "tok ".repeat(tokens) });
process.stdout.write(`READY ${await mock.start()}/v1\n`);
