// Starts Tenon nodes as child processes sharing one PostgreSQL schema.
import { join } from "node:path";
import type { WebSocket } from "ws";
import { createClient } from "../../src/client/index.js";
import { type ChildServer, startChildServer } from "../helpers/child-server.js";
import { dropSchema, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";
import type { clusterRegistry } from "./fixtures/cluster-actors.js";

const fixture = join(import.meta.dirname, "fixtures", "cluster-server.ts");

export type ClusterClient = ReturnType<typeof createClient<typeof clusterRegistry>>;

export interface ClusterNode {
	id: string;
	server: ChildServer;
	url: string;
	paused: boolean;
}

/** A cluster of child-process nodes on one fresh PostgreSQL schema. */
export class TestCluster {
	readonly schema = freshSchema();
	readonly nodes = new Map<string, ClusterNode>();
	readonly #env: Record<string, string>;
	#started = 0;

	constructor(
		options: { leaseTtlMs?: number; heartbeatMs?: number; env?: Record<string, string> } = {},
	) {
		this.#env = {
			...options.env,
			TENON_POSTGRES_URL: POSTGRES_URL,
			TENON_PG_SCHEMA: this.schema,
			TENON_LEASE_TTL_MS: String(options.leaseTtlMs ?? 1_000),
			TENON_HEARTBEAT_MS: String(options.heartbeatMs ?? 250),
			TENON_LOG_LEVEL: process.env.TENON_CLUSTER_LOG_LEVEL ?? "error",
		};
	}

	/** Starts a node (named `node-<n>` unless given), with `env` added to the cluster's. */
	async start(
		id = `node-${++this.#started}`,
		env: Record<string, string> = {},
	): Promise<ClusterNode> {
		const server = await startChildServer(fixture, { ...this.#env, ...env, TENON_NODE_ID: id });
		const node = { id, server, url: server.url, paused: false };
		this.nodes.set(id, node);
		return node;
	}

	get live(): ClusterNode[] {
		return [...this.nodes.values()].filter((node) => !node.paused);
	}

	node(id: string): ClusterNode {
		const node = this.nodes.get(id);
		if (!node) throw new Error(`no node ${id}`);
		return node;
	}

	client(id: string): ClusterClient {
		return createClient<typeof clusterRegistry>({
			endpoint: this.node(id).url,
			reconnect: { minDelayMs: 20, maxDelayMs: 200 },
		});
	}

	/** SIGKILL: the node dies without releasing anything. */
	async kill(id: string): Promise<void> {
		const node = this.node(id);
		if (node.paused) node.server.process.kill("SIGCONT");
		await node.server.kill();
		this.nodes.delete(id);
	}

	/** SIGSTOP: the node freezes (no heartbeat, no I/O) until resumed. */
	pause(id: string): void {
		this.node(id).server.process.kill("SIGSTOP");
		this.node(id).paused = true;
	}

	resume(id: string): void {
		this.node(id).server.process.kill("SIGCONT");
		this.node(id).paused = false;
	}

	async stop(): Promise<void> {
		for (const node of this.nodes.values()) {
			if (node.paused) node.server.process.kill("SIGCONT");
			await node.server.kill();
		}
		this.nodes.clear();
		await dropSchema(this.schema);
	}
}

/** A POST of tally action `action` (key `key`) to the node at `url`: its status and body. */
export async function callTally(url: string, key: string, action: string, args: unknown[]) {
	const response = await fetch(
		`${url}/gateway/tally/action/${action}?rvt-method=getOrCreate&rvt-key=${key}`,
		{
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ args }),
		},
	);
	return {
		status: response.status,
		body: (await response.json()) as { output?: { count: number; node: string } },
	};
}

/** Resolves with what happened first: an answer, or "hung" after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | "hung"> {
	return Promise.race([promise, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms))]);
}

/** How a WebSocket's upgrade ended: "open", "http <status>" or "error <message>". */
export function upgradeOutcome(socket: WebSocket): Promise<string> {
	return new Promise<string>((resolve) => {
		socket.once("open", () => resolve("open"));
		socket.once("unexpected-response", (_q, res) => resolve(`http ${res.statusCode}`));
		socket.once("error", (e) => resolve(`error ${e.message}`));
	});
}

/**
 * The echo actor's endless stream (`key`), woken on `owner` and read through
 * `entry`: its reader, after its first chunk (returned too).
 */
export async function streamThrough(
	owner: ClusterNode,
	entry: ClusterNode,
	key: string,
	signal: AbortSignal,
): Promise<{ reader: ReadableStreamDefaultReader<Uint8Array>; first: string }> {
	const path = `/gateway/echo/request/stream?rvt-method=getOrCreate&rvt-key=${key}`;
	const woke = await fetch(`${owner.url}${path}`);
	await woke.body?.cancel();
	const response = await fetch(`${entry.url}${path}`, { signal });
	const reader = response.body?.getReader();
	if (!reader) throw new Error("no body");
	const first = await reader.read();
	return { reader, first: new TextDecoder().decode(first.value) };
}
