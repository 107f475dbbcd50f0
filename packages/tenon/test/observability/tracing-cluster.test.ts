// Traces across two cluster nodes (docs/observability.md): a call entering a
// node that does not own the actor is one trace, the forwarding node's server
// span, its `tenon.cluster.forward` client span, then the owner's server span.
// Both nodes run in this process (each on its own port, one PostgreSQL
// schema), so one in-memory exporter sees the spans of both.
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import type { Client } from "../../src/client/types.js";
import { actor, postgresDriver, setup } from "../../src/index.js";
import type { TenonServer } from "../../src/server/node-adapter.js";
import { childrenOf, installTracing, spanNamed, type TestTracing } from "../helpers/otel.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../helpers/postgres.js";

const counter = actor({
	state: { count: 0 },
	actions: {
		add: (c) => ++c.state.count,
		/** Calls another counter (actor-to-actor, possibly on another node). */
		addTo: async (c, key: string): Promise<number> => {
			const client = c.client() as Client<ClusterRegistry>;
			return client.counter.getOrCreate(key).add();
		},
	},
	options: { sleepTimeout: 60_000 },
});

const schema = freshSchema();
function registryOf(nodeId: string) {
	return setup({
		use: { counter },
		storage: postgresDriver({
			url: POSTGRES_URL,
			schema,
			maxConnections: 4,
			cluster: { nodeId, leaseTtlMs: 2_000, heartbeatMs: 250 },
		}),
	});
}
type ClusterRegistry = ReturnType<typeof registryOf>;

describe("traces across two cluster nodes", () => {
	let tracing: TestTracing;
	const servers: TenonServer[] = [];
	const clients: Client<ClusterRegistry>[] = [];

	beforeAll(async () => {
		await assertPostgresReachable();
		tracing = installTracing();
		for (const nodeId of ["node-1", "node-2"]) {
			const server = await registryOf(nodeId).start({ port: 0, host: "127.0.0.1" });
			servers.push(server);
			clients.push(createClient<ClusterRegistry>({ endpoint: server.url }));
		}
	});
	afterAll(async () => {
		for (const client of clients) await client.dispose();
		for (const server of servers) await server.close();
		await tracing.uninstall();
		await dropSchema(schema);
		await closeAdmin();
	});

	const [first, second] = [0, 1];
	const client = (index: number) => clients[index] as Client<ClusterRegistry>;

	/** The spans of the trace `root` started. */
	const traceOf = (root: ReadableSpan) =>
		tracing.spans().filter((span) => span.spanContext().traceId === root.spanContext().traceId);

	it("a call through the other node: client span → server span → forward → owner's server span", async () => {
		// node-1 owns the actor: it was created by a call there.
		expect(await client(first).counter.getOrCreate("c1").add()).toBe(1);
		tracing.exporter.reset();
		const output = await tracing.inSpan("client call", () =>
			client(second).counter.getOrCreate("c1").add(),
		);
		expect(output).toBe(2);
		const root = spanNamed(tracing.spans(), "client call");
		const trace = traceOf(root);
		const servers = trace.filter((span) => span.name === "tenon.http_action add");
		expect(servers).toHaveLength(2);
		const entry = servers.find(
			(span) => span.parentSpanContext?.spanId === root.spanContext().spanId,
		) as ReadableSpan;
		expect(entry).toBeDefined();
		const forward = spanNamed(trace, "tenon.cluster.forward");
		expect(forward.kind).toBe(2); // CLIENT
		expect(forward.parentSpanContext?.spanId).toBe(entry.spanContext().spanId);
		expect(forward.attributes).toMatchObject({
			"tenon.cluster.node_id": "node-1",
			"tenon.cluster.hops": 1,
			"http.response.status_code": 200,
		});
		const owner = servers.find((span) => span !== entry) as ReadableSpan;
		expect(owner.parentSpanContext?.spanId).toBe(forward.spanContext().spanId);
		expect(owner.parentSpanContext?.isRemote).toBe(true);
		expect(
			childrenOf(trace, owner)
				.map((span) => span.name)
				.sort(),
		).toEqual(["tenon.commit_wait", "tenon.turn add"]);
		// The node that forwarded ran no turn of its own.
		expect(childrenOf(trace, entry).map((span) => span.name)).toEqual(["tenon.cluster.forward"]);
	});

	it("an actor-to-actor call to an actor on the other node is one trace", async () => {
		// The target lives on node-1, the caller on node-2.
		expect(await client(first).counter.getOrCreate("target").add()).toBe(1);
		expect(await client(second).counter.getOrCreate("caller").add()).toBe(1);
		tracing.exporter.reset();
		const output = await tracing.inSpan("client call", () =>
			client(second).counter.getOrCreate("caller").addTo("target"),
		);
		expect(output).toBe(2);
		const root = spanNamed(tracing.spans(), "client call");
		const trace = traceOf(root);
		const turn = spanNamed(trace, "tenon.turn addTo");
		const call = spanNamed(trace, "tenon.actor_call add");
		expect(call.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
		const forward = spanNamed(trace, "tenon.cluster.forward");
		const targetTurn = spanNamed(trace, "tenon.turn add");
		// actor_call → (node-2) http_action add → cluster.forward → (node-1) http_action add → turn add
		const parentOf = (span: ReadableSpan) =>
			trace.find(
				(other) => other.spanContext().spanId === span.parentSpanContext?.spanId,
			) as ReadableSpan;
		const ownerServer = parentOf(targetTurn);
		expect(ownerServer.name).toBe("tenon.http_action add");
		expect(parentOf(ownerServer)).toBe(forward);
		const entryServer = parentOf(forward);
		expect(entryServer.name).toBe("tenon.http_action add");
		expect(parentOf(entryServer)).toBe(call);
	});
});
