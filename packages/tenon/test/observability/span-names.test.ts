// HTTP action spans show only names the registry has: the action and actor names in the URL
// are the client's, and each one (of any length) made a span name of its own, a cardinality
// an APM backend pays for (a review, 2026-11-26). Metrics already fold them into "(unknown)".
import { afterEach, describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { installTracing, type TestTracing } from "../helpers/otel.js";
import { rawSocket } from "../helpers/raw.js";

const box = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
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
