// Tenon without @opentelemetry/api installed: a server process where the
// package cannot be resolved runs, and calls that carry a trace context (the
// test's client has a tracer provider and an active span) work over HTTP and
// on a connection, in JSON and CBOR.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { type ChildServer, startChildServer } from "../helpers/child-server.js";
import { installTracing, type TestTracing } from "../helpers/otel.js";

const fixtures = join(import.meta.dirname, "fixtures");

interface CounterClient {
	counter: {
		getOrCreate(key: string): {
			increment(): Promise<number>;
			otel(): Promise<string>;
			connect(): { increment(): Promise<number>; dispose(): Promise<void> };
		};
	};
	dispose(): Promise<void>;
}

let server: ChildServer;
let tracing: TestTracing;

beforeAll(async () => {
	tracing = installTracing();
	server = await startChildServer(join(fixtures, "without-otel-server.ts"), {
		NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${join(fixtures, "without-otel-register.mjs")}`,
	});
}, 60_000);
afterAll(async () => {
	await server?.stop();
	await tracing?.uninstall();
});

it("serves calls that carry a traceparent when the API cannot be loaded", async () => {
	for (const encoding of ["json", "cbor"] as const) {
		const client = createClient({ endpoint: server.url, encoding }) as unknown as CounterClient;
		const handle = client.counter.getOrCreate(`c-${encoding}`);
		try {
			expect(await handle.otel()).toBe("absent");
			await tracing.inSpan("client", async () => {
				expect(await handle.increment()).toBe(1);
				const conn = handle.connect();
				expect(await conn.increment()).toBe(2);
				await conn.dispose();
			});
		} finally {
			await client.dispose();
		}
	}
	// The client did send its context (its own spans were recorded).
	expect(tracing.spans().map((span) => span.name)).toEqual(["client", "client"]);
	expect(server.stderr()).toBe("");
});
