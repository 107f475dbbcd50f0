// openAIModel does not follow a model server's redirects: fetch sent the whole request (the
// system prompt, the transcript) and the `headers` option's credentials (Azure's `api-key`;
// fetch drops only `Authorization` across origins) to whatever origin a 307 named, and read
// that origin's stream as the model's answer (an attacker probe, 2026-11-29).
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, expect, it } from "vitest";
import { agentActor } from "../../src/agent/index.js";
import { openAIModel } from "../../src/agent/openai-model.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { collect, expectModelError } from "./openai-mock-llm.js";
import { turnsOf } from "./scripted-model.js";

const servers: Server[] = [];
afterEach(() => {
	for (const server of servers.splice(0)) server.close();
});

async function listen(
	handler: (request: IncomingMessage, body: string) => [number, Record<string, string>, string],
) {
	const server = createServer((request, response) => {
		let body = "";
		request.on("data", (chunk: Buffer) => {
			body += chunk.toString();
		});
		request.on("end", () => {
			const [status, headers, text] = handler(request, body);
			response.writeHead(status, headers).end(text);
		});
	});
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
	return (server.address() as { port: number }).port;
}

it("refuses a redirect, sending nothing to where it points", async () => {
	const seen: { apiKey: unknown; body: string }[] = [];
	const elsewhere = await listen((request, body) => {
		seen.push({ apiKey: request.headers["api-key"], body });
		return [
			200,
			{ "content-type": "text/event-stream" },
			'data: {"choices":[{"index":0,"delta":{"content":"from elsewhere"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
		];
	});
	const port = await listen(() => [
		307,
		{ location: `http://localhost:${elsewhere}/v1/chat/completions` },
		"",
	]);
	const model = openAIModel({
		baseURL: `http://127.0.0.1:${port}/v1`,
		model: "m",
		headers: { "api-key": "azure-key-secret" },
	});
	const { events, error } = await collect(
		model.stream({
			messages: [
				{ role: "system", content: "internal system prompt" },
				{ role: "user", content: "hello" },
			],
		}),
	);
	expect(events).toEqual([]);
	const modelError = expectModelError(error, "model_http_error");
	expect(modelError.metadata).toEqual({ status: 307 });
	expect(modelError.message).toContain("redirect");
	expect(seen).toEqual([]);
});

it("fails an agent's turn at once on a redirect: its retries would be redirected again", async () => {
	let asked = 0;
	const port = await listen(() => {
		asked++;
		return [307, { location: "http://localhost:1/v1/chat/completions" }, ""];
	});
	const agent = agentActor({
		model: openAIModel({ baseURL: `http://127.0.0.1:${port}/v1`, model: "m" }),
		createConnState: () => ({ user: "ann" }),
		identify: (conn: { state: { user: string } }) => ({ id: conn.state.user }),
	});
	await using t = await setupTest(setup({ use: { agent }, logLevel: "silent" }));
	const conn = t.client.agent.getOrCreate(["r"]).connect();
	const turns = turnsOf(conn);
	const { turnId } = await conn.prompt("hello");
	expect(await turns.ended(turnId)).toMatchObject({
		status: "failed",
		error: { group: "agent", code: "model_http_error" },
	});
	// Not the two retries (modelRetries) of a failure that may pass.
	expect(asked).toBe(1);
	await conn.dispose();
});
