// Replies the node a request came through passes on without a body, and
// answers of the app's that look like an owner's own refusal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const rawPath = (key: string, path: string) =>
	`/gateway/echo/request${path}?rvt-method=getOrCreate&rvt-key=${key}`;
const actionPath = (key: string, action: string) =>
	`/gateway/echo/action/${action}?rvt-method=getOrCreate&rvt-key=${key}`;

describe("cluster: replies through another node", () => {
	it("passes on a HEAD answer and a 204, and keeps serving (each ended the node's process)", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			expect((await fetch(`${owner.url}${rawPath("bodiless", "/who")}`)).status).toBe(200);
			const head = await fetch(`${entry.url}${rawPath("bodiless", "/who")}`, { method: "HEAD" });
			expect(head.status).toBe(200);
			const empty = await fetch(`${entry.url}${rawPath("bodiless", "/empty")}`);
			expect([empty.status, await empty.text()]).toEqual([204, ""]);
			// The node is still there, and still forwards.
			const after = await fetch(`${entry.url}${rawPath("bodiless", "/who")}`);
			expect(((await after.json()) as { node: string }).node).toBe(owner.id);
		} finally {
			await cluster.stop();
		}
	}, 120_000);

	it("sends an app's answer that carries the owner's not-run mark once, as any answer", async () => {
		const cluster = new TestCluster({ leaseTtlMs: 10_000, heartbeatMs: 1_000 });
		try {
			const owner = await cluster.start();
			const entry = await cluster.start();
			expect((await fetch(`${owner.url}${rawPath("marked", "/who")}`)).status).toBe(200);
			const answer = await fetch(`${entry.url}${rawPath("marked", "/marked")}`);
			expect([answer.status, await answer.text()]).toEqual([503, "ran"]);
			expect(answer.headers.get("x-tenon-not-run")).toBeNull();
			const count = await fetch(`${owner.url}${actionPath("marked", "marked")}`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: '{"args":[]}',
			});
			// Taken for the owner's refusal, it was sent again until the lease time ran out.
			expect(await count.json()).toEqual({ output: 1 });
		} finally {
			await cluster.stop();
		}
	}, 120_000);
});
