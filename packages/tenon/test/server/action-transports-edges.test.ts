// The action route's shared state and side channels behave the same whether
// a call comes through the fetch handler or the Node adapter: a client that
// goes away mid-body, the body and rate limits they count against,
// traceparent and the request id, and the metrics they record.
// (action-transports.test.ts compares the answers themselves, case by case.)
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import type { ServerCore } from "../../src/server/server-core.js";
import { installTracing } from "../helpers/otel.js";
import { scrape } from "../helpers/prometheus.js";
import { type RawAnswer, type RawBody, rawRequest } from "../helpers/raw-http.js";

const ADMIN_TOKEN = "admin-token-for-transport-edges";

const tally = actor({
	state: { runs: 0 },
	actions: {
		run: (c, _payload?: string) => ++c.state.runs,
		runs: (c) => c.state.runs,
	},
});

const PATH = "/gateway/tally/action/run?rvt-method=getOrCreate&rvt-key=t";
const RUNS = "/gateway/tally/action/runs?rvt-method=getOrCreate&rvt-key=t";

interface Started {
	server: TenonServer;
	core: ServerCore;
	host: string;
}

async function start(config: Partial<Parameters<typeof setup>[0]> = {}): Promise<Started> {
	const registry = setup({
		use: { tally },
		logLevel: "silent",
		admin: { token: ADMIN_TOKEN },
		...config,
	});
	const { runtime, core } = await registry.createRuntime({
		storage: memoryDriver(),
		bindHost: "127.0.0.1",
	});
	const server = await registry.listen(runtime, core, { port: 0, host: "127.0.0.1" });
	return { server, core, host: new URL(server.url).host };
}

/** A JSON call through the fetch handler; `body` may be a stream. */
async function viaFetch(
	target: Started,
	path: string,
	body: BodyInit,
	headers: Record<string, string> = {},
): Promise<Response> {
	return target.core.fetch(
		new Request(`${target.server.url}${path}`, {
			method: "POST",
			headers: { host: target.host, "content-type": "application/json", ...headers },
			body,
			duplex: "half",
		} as RequestInit),
		{ remoteAddress: "127.0.0.1" },
	);
}

/** A JSON call through the Node adapter, on a socket of its own. */
function viaNode(
	target: Started,
	path: string,
	body: RawBody,
	headers: Record<string, string> = {},
): Promise<RawAnswer | "closed"> {
	return rawRequest(
		target.server.url,
		{
			method: "POST",
			path,
			headers: Object.entries({
				host: target.host,
				"content-type": "application/json",
				...headers,
			}),
		},
		body,
	);
}

async function runs(target: Started): Promise<number> {
	const response = await viaFetch(target, RUNS, "{}");
	return ((await response.json()) as { output: number }).output;
}

/**
 * Waits until a body can be read again (with one body slot: the previous
 * one was released), asking every 10 ms for at most 2 s.
 */
async function untilSlotFree(target: Started): Promise<void> {
	for (let attempt = 0; attempt < 200; attempt++) {
		const response = await viaFetch(target, RUNS, "{}");
		await response.arrayBuffer();
		if (response.status !== 429) return;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	throw new Error("the body slot was never released");
}

/**
 * Calls `call` (a read-only action) until the server refuses it with 429,
 * every 10 ms for at most 2 s: the held body was still on its way in.
 */
async function untilRefused<T extends { status: number }>(call: () => Promise<T>): Promise<T> {
	for (let attempt = 0; attempt < 200; attempt++) {
		const answer = await call();
		if (answer.status === 429) return answer;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	throw new Error("the held body never took the slot");
}

const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
let target: Started;

beforeEach(() => {
	uncaught.length = 0;
	process.on("uncaughtException", onUncaught);
	process.on("unhandledRejection", onUncaught);
});

afterEach(async () => {
	await target?.server.close();
	process.off("uncaughtException", onUncaught);
	process.off("unhandledRejection", onUncaught);
	expect(uncaught).toEqual([]);
});

describe("a client that goes away in the middle of its body", () => {
	it("runs no action, frees its body slot and leaves the server serving, on both transports", async () => {
		// One body at a time: a slot left taken would refuse every later call.
		target = await start({ limits: { maxConcurrentRequestBodies: 1 } });
		const half = '{"args":["';
		const gone = await viaNode(target, PATH, {
			chunks: [half, "x".repeat(100), '"]}'],
			delayMs: 20,
			disconnectAfter: 1,
		});
		expect(gone).toBe("closed");
		// The server learns of the disconnect a moment after the client: until
		// then the slot is still (rightly) taken. One left taken fails here.
		await untilSlotFree(target);
		let pulled = 0;
		const failing = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (pulled++ === 0) controller.enqueue(new TextEncoder().encode(half));
				else controller.error(new DOMException("The client went away", "AbortError"));
			},
		});
		const fetched = await viaFetch(target, PATH, failing);
		expect(fetched.status).toBe(500);
		await untilSlotFree(target);
		// Neither ran the action; both transports still serve (and read bodies).
		const served = await viaNode(target, PATH, { chunks: ['{"args":["ok"]}'] });
		expect(served).toMatchObject({ status: 200 });
		expect(await runs(target)).toBe(1);
	});
});

describe("limits both transports count against", () => {
	it("a body being read on one transport holds the only slot against the other", async () => {
		target = await start({ limits: { maxConcurrentRequestBodies: 1 } });
		// A body through the Node adapter, held open: it takes the only slot.
		let releaseNode: () => void = () => {};
		const slow = viaNode(target, PATH, {
			chunks: ['{"args":', '["slow"]}'],
			holdLast: new Promise<void>((resolve) => {
				releaseNode = resolve;
			}),
		});
		const refused = await untilRefused(() => viaFetch(target, RUNS, "{}"));
		expect(await refused.json()).toMatchObject({ group: "limit", code: "too_many_requests" });
		releaseNode();
		expect(await slow).toMatchObject({ status: 200 });
		await untilSlotFree(target);
		// And the other way round: a Web request's body held open.
		let releaseFetch: () => void = () => {};
		const held = new Promise<void>((resolve) => {
			releaseFetch = resolve;
		});
		let step = 0;
		const slowStream = new ReadableStream<Uint8Array>({
			async pull(controller) {
				step++;
				if (step === 1) controller.enqueue(new TextEncoder().encode('{"args":'));
				else if (step === 2) {
					await held;
					controller.enqueue(new TextEncoder().encode("[]}"));
				} else controller.close();
			},
		});
		const pending = viaFetch(target, PATH, slowStream);
		const refusedNode = await untilRefused(async () => {
			const answer = await viaNode(target, RUNS, { chunks: ["{}"] });
			if (answer === "closed") throw new Error("closed without an answer");
			return answer;
		});
		const body = JSON.parse(new TextDecoder().decode(refusedNode.body));
		expect(body).toMatchObject({ group: "limit", code: "too_many_requests" });
		releaseFetch();
		expect((await pending).status).toBe(200);
	});

	it("the per-address rate is one budget for both, refused alike with retry-after", async () => {
		target = await start({
			rateLimits: { perAddress: { perSecond: 0.01, burst: 2 }, limitLoopback: true },
		});
		expect((await viaFetch(target, PATH, '{"args":[]}')).status).toBe(200);
		expect(await viaNode(target, PATH, { chunks: ['{"args":[]}'] })).toMatchObject({ status: 200 });
		const fetched = await viaFetch(target, PATH, '{"args":[]}');
		const served = (await viaNode(target, PATH, { chunks: ['{"args":[]}'] })) as RawAnswer;
		expect(fetched.status).toBe(429);
		expect(served.status).toBe(429);
		expect(served.headers["retry-after"]).toBe(fetched.headers.get("retry-after"));
		expect(Number(served.headers["retry-after"])).toBeGreaterThan(0);
		const fetchedBody = (await fetched.json()) as { group: string; code: string };
		const servedBody = JSON.parse(new TextDecoder().decode(served.body));
		expect([servedBody.group, servedBody.code]).toEqual([fetchedBody.group, fetchedBody.code]);
		expect([servedBody.group, servedBody.code]).toEqual(["limit", "rate_limited"]);
	});
});

describe("tracing, request ids and metrics", () => {
	it("a client's x-tenon-request-id is not taken on either transport: only a cluster peer's is", async () => {
		// Regression (a probe, 2026-11-27): it won over the x-request-id a proxy had set.
		target = await start();
		const headers = { "x-request-id": "from-proxy", "x-tenon-request-id": "forged-by-client" };
		const fetched = await viaFetch(target, PATH, '{"args":[]}', headers);
		expect(fetched.headers.get("x-request-id")).toBe("from-proxy");
		const served = (await viaNode(target, PATH, { chunks: ['{"args":[]}'] }, headers)) as RawAnswer;
		expect(served.headers["x-request-id"]).toBe("from-proxy");
		const health = await fetch(`${target.server.url}/health`, { headers });
		expect(health.headers.get("x-request-id")).toBe("from-proxy");
	});

	it("a traceparent parents the same server span on both transports", async () => {
		const tracing = installTracing();
		try {
			target = await start();
			const trace = (n: number) => `${String(n).repeat(32)}`;
			const parent = "00f067aa0ba902b7";
			const fetched = await viaFetch(target, PATH, '{"args":[]}', {
				traceparent: `00-${trace(1)}-${parent}-01`,
				"x-request-id": "from-fetch",
			});
			expect(fetched.status).toBe(200);
			expect(fetched.headers.get("x-request-id")).toBe("from-fetch");
			const served = (await viaNode(
				target,
				PATH,
				{ chunks: ['{"args":[]}'] },
				{
					traceparent: `00-${trace(2)}-${parent}-01`,
					"x-request-id": "from-node",
				},
			)) as RawAnswer;
			expect(served.status).toBe(200);
			expect(served.headers["x-request-id"]).toBe("from-node");
			const spanOf = (traceId: string) => {
				const found = tracing
					.spans()
					.filter(
						(span) =>
							span.name === "tenon.http_action run" && span.spanContext().traceId === traceId,
					);
				expect(found).toHaveLength(1);
				return found[0] as (typeof found)[number];
			};
			const [viaCore, viaAdapter] = [spanOf(trace(1)), spanOf(trace(2))];
			for (const span of [viaCore, viaAdapter]) {
				expect(span.parentSpanContext?.spanId).toBe(parent);
				expect(span.attributes).toMatchObject({
					"tenon.action.name": "run",
					"tenon.transport": "http",
					"http.request.method": "POST",
					"http.response.status_code": 200,
				});
			}
			expect(viaAdapter.attributes).toEqual(viaCore.attributes);
			expect(viaAdapter.kind).toBe(viaCore.kind);
		} finally {
			await tracing.uninstall();
		}
	});

	it("each call counts once in tenon_actions_total and the output gate's histogram, on both transports", async () => {
		target = await start();
		const metrics = `${target.server.url}/metrics`;
		const labels = { actor: "tally", action: "run", transport: "http" };
		const before = await scrape(metrics, ADMIN_TOKEN);
		const counted = (scraped: typeof before) => [
			scraped.value("tenon_actions_total", labels),
			scraped.value("tenon_output_gate_wait_seconds", { actor: "tally" }),
		];
		const [actions0 = 0, gated0 = 0] = counted(before);
		expect((await viaFetch(target, PATH, '{"args":[]}')).status).toBe(200);
		const [actions1, gated1] = counted(await scrape(metrics, ADMIN_TOKEN));
		expect([actions1, gated1]).toEqual([actions0 + 1, gated0 + 1]);
		expect(await viaNode(target, PATH, { chunks: ['{"args":[]}'] })).toMatchObject({ status: 200 });
		const [actions2, gated2] = counted(await scrape(metrics, ADMIN_TOKEN));
		expect([actions2, gated2]).toEqual([actions0 + 2, gated0 + 2]);
	});
});
