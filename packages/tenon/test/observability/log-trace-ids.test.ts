// A log line written while a span is active carries its trace and span ids, so lines and
// traces can be joined (an operator's walkthrough, 2026-11-29: a line had a `requestId` only,
// and nothing tied it to the trace of the `traceparent` its request came with).
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import type { TenonServer } from "../../src/server/node-adapter.js";
import { installTracing, spanNamed, type TestTracing } from "../helpers/otel.js";

const lines: { message: string; fields: LogFields }[] = [];
const greeter = actor({
	state: {},
	actions: {
		greet: (c, trick: LogFields) => {
			// A caller's fields cannot pass for the line's trace.
			c.log.info("greeting", { ...trick });
			return "hi";
		},
	},
});
const registry = setup({
	use: { greeter },
	storage: memoryDriver(),
	logger: createLogger({
		level: "info",
		sink: (_level, message, fields) => lines.push({ message, fields }),
	}),
});

let tracing: TestTracing;
let server: TenonServer;
beforeAll(async () => {
	tracing = installTracing();
	server = await registry.start({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
	await server.close();
	await tracing.uninstall();
});

it("puts the active span's trace_id and span_id on a line an action writes", async () => {
	const traceId = "0af7651916cd43dd8448eb211c80319c";
	const response = await fetch(
		`${server.url}/gateway/greeter/action/greet?rvt-method=getOrCreate&rvt-key=a`,
		{
			method: "POST",
			headers: {
				"content-type": "application/json",
				traceparent: `00-${traceId}-b7ad6b7169203331-01`,
			},
			body: JSON.stringify({ args: [{ trace_id: "forged", span_id: "forged" }] }),
		},
	);
	expect(response.status).toBe(200);
	await expect
		.poll(() => tracing.spans().some((span) => span.name === "tenon.turn greet"))
		.toBe(true);
	const turn = spanNamed(tracing.spans(), "tenon.turn greet");
	const line = lines.find((entry) => entry.message === "greeting");
	expect(line?.fields).toMatchObject({
		trace_id: traceId,
		span_id: turn.spanContext().spanId,
		"field.trace_id": "forged",
		"field.span_id": "forged",
	});
	// Lines outside any span (the server's start) have none.
	const started = lines.filter((entry) => entry.message !== "greeting");
	expect(started.length).toBeGreaterThan(0);
	for (const entry of started) expect(entry.fields).not.toHaveProperty("trace_id");
});
