// HTTP action spans show only names the registry has: the action and actor names in the URL
// are the client's, and each one (of any length) made a span name of its own, a cardinality
// an APM backend pays for (a review, 2026-11-26). Metrics already fold them into "(unknown)".
import { afterEach, describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { installTracing, type TestTracing } from "../helpers/otel.js";
import { rawSocket } from "../helpers/raw.js";

const box = actor({
	state: { n: 0 },
	queues: { jobs: queue<{ n: number }>() },
	actions: { inc: (c) => ++c.state.n },
	onRequest: () => new Response("ok"),
});
const registry = setup({ use: { box }, logLevel: "silent" });

let tracing: TestTracing | undefined;
afterEach(async () => {
	await tracing?.uninstall();
	tracing = undefined;
});

async function call(base: string, actorName: string, action: string): Promise<void> {
	const url = `${base}/gateway/${actorName}/action/${action}?rvt-method=getOrCreate&rvt-key=a`;
	const res = await fetch(url, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: '{"args":[]}',
	});
	await res.text();
}

describe("HTTP action spans", () => {
	it("name registered actions, and show other names as (unknown)", async () => {
		tracing = installTracing();
		await using t = await setupTest(registry);
		await call(t.url, "box", "inc");
		for (let i = 0; i < 5; i++) await call(t.url, "box", `attacker-${i}-${"z".repeat(200)}`);
		await call(t.url, "box", "toString");
		for (let i = 0; i < 3; i++) await call(t.url, `nosuchactor${i}`, "inc");
		const spans = tracing.spans().filter((span) => span.name.startsWith("tenon.http_action"));
		expect(spans).toHaveLength(10);
		expect(new Set(spans.map((span) => span.name))).toEqual(
			new Set(["tenon.http_action inc", "tenon.http_action (unknown)"]),
		);
		expect(new Set(spans.map((span) => span.attributes["tenon.actor.name"]))).toEqual(
			new Set(["box", "(unknown)"]),
		);
		expect(spans[0]?.name).toBe("tenon.http_action inc");
	});

	it("over a connection, name registered actions, and show other names as (unknown)", async () => {
		tracing = installTracing();
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/box/connect?rvt-method=getOrCreate&rvt-key=a`;
		const socket = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => socket.messages.length).toBe(1);
		const names = ["inc", `attacker-${"z".repeat(200)}`, "constructor"];
		for (const [id, name] of names.entries()) {
			const request = { body: { tag: "ActionRequest", val: { id, name, args: [] } } };
			socket.ws.send(JSON.stringify(request));
		}
		await expect.poll(() => socket.messages.length).toBe(4);
		socket.ws.close();
		const shown = () =>
			tracing
				?.spans()
				.filter((span) => /^tenon\.(ws_action|turn) /.test(span.name))
				.map((span) => span.name);
		await expect
			.poll(() => new Set(shown()))
			.toEqual(new Set(["tenon.ws_action inc", "tenon.ws_action (unknown)"]));
	});
});

describe("queue send and raw request spans", () => {
	it("are server spans of their own, with declared queue names and a bounded path", async () => {
		tracing = installTracing();
		await using t = await setupTest(registry);
		const base = `${t.url}/gateway/box`;
		const query = "rvt-method=getOrCreate&rvt-key=a";
		const send = (name: string) =>
			fetch(`${base}/queue/${name}?${query}`, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`,
				},
				body: '{"body":{"n":1}}',
			}).then((response) => response.status);
		expect(await send("jobs")).toBe(200);
		expect(await send(`attacker-${"q".repeat(300)}`)).toBe(400);
		const secret = "s".repeat(500);
		const raw = await fetch(`${base}/request/users/${secret}?${query}`, { method: "PUT" });
		expect(await raw.text()).toBe("ok");
		const spans = tracing.spans();
		const sends = spans.filter((span) => span.name.startsWith("tenon.http_queue_send"));
		expect(sends.map((span) => span.name).sort()).toEqual([
			"tenon.http_queue_send (unknown)",
			"tenon.http_queue_send jobs",
		]);
		const jobs = sends.find((span) => span.name.endsWith(" jobs"));
		expect(jobs?.attributes).toMatchObject({
			"tenon.queue.name": "jobs",
			"tenon.actor.name": "box",
			"http.response.status_code": 200,
		});
		// Its parent is the request's traceparent.
		expect(jobs?.parentSpanContext?.spanId).toBe("cd".repeat(8));
		expect(jobs?.spanContext().traceId).toBe("ab".repeat(16));
		const request = spans.find((span) => span.name === "tenon.http_request PUT");
		expect(request?.kind).toBe(1);
		const path = String(request?.attributes["url.path"]);
		expect(path.startsWith("/users/sss")).toBe(true);
		expect(path.length).toBeLessThanOrEqual(128);
		expect(path).not.toContain(secret);
	});
});
