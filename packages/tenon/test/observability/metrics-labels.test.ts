// The labels of PrometheusMetrics' series: an action name the actor lacks, and error codes, each
// bounded however many distinct values clients make an app produce (label cardinality).
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/index.js";
import { monotonicSeconds } from "../../src/observability/metrics.js";
import { PrometheusMetrics } from "../../src/observability/prometheus.js";
import { errors } from "../../src/protocol/errors.js";
import { Scrape } from "../helpers/prometheus.js";

const A = { actor: "counter" };

describe("PrometheusMetrics", () => {
	it("labels a name the actor lacks '(unknown)' whatever error it ended with (a stopping actor throws before looking names up)", async () => {
		const metrics = new PrometheusMetrics();
		const actor = metrics.forActor("counter", new Set(["increment"]));
		for (const name of ["made-up-1", "made-up-2"]) {
			actor.actionEnded(name, "websocket", monotonicSeconds(), errors.actorStopping());
		}
		actor.actionEnded("increment", "websocket", monotonicSeconds(), undefined);
		const m = new Scrape(await metrics.render());
		const actions = m.samples("tenon_actions_total").map((s) => s.labels?.action);
		expect(actions.sort()).toEqual(["(unknown)", "increment"]);
		expect(
			m.value("tenon_actions_total", { ...A, action: "(unknown)", transport: "websocket" }),
		).toBe(2);
		// Output-gate series appear once observed (as prom-client's did), not per actor type up front.
		expect(m.samples("tenon_output_gate_wait_seconds_count")).toEqual([]);
	});
	it("reports error codes past the first 100 distinct ones as other (an app's codes may carry a client's text)", async () => {
		const metrics = new PrometheusMetrics();
		const actor = metrics.forActor("counter", new Set(["fail"]));
		for (let i = 0; i < 150; i++) {
			const error = new UserError("no", { code: `bad_${i}` });
			actor.actionEnded("fail", "http", monotonicSeconds(), error);
			actor.actionEnded("fail", "http", monotonicSeconds(), error);
		}
		// Codes seen before the cap keep their own series.
		actor.actionEnded("fail", "http", monotonicSeconds(), new UserError("no", { code: "bad_7" }));
		const m = new Scrape(await metrics.render());
		const codes = m.samples("tenon_action_errors_total").map((s) => s.labels?.code);
		expect(codes.length).toBe(101);
		const labels = { ...A, action: "fail", transport: "http", group: "user" };
		expect(m.value("tenon_action_errors_total", { ...labels, code: "bad_7" })).toBe(3);
		expect(m.value("tenon_action_errors_total", { ...labels, code: "other" })).toBe(100);
		expect(m.value("tenon_action_errors_total", { ...labels, code: "bad_99" })).toBe(2);
	});
	// One cap for both let a client's 100 codes turn Tenon's own into `other` until a restart,
	// and alerts on them stopped (an attacker probe, 2026-11-29).
	it("keeps Tenon's own codes apart from an app's: its codes past the cap do not push them out", async () => {
		const metrics = new PrometheusMetrics();
		const actor = metrics.forActor("counter", new Set(["fail"]));
		for (let i = 0; i < 150; i++)
			actor.actionEnded("fail", "http", monotonicSeconds(), new UserError("no", { code: `c${i}` }));
		actor.actionEnded("fail", "http", monotonicSeconds(), new Error("boom"));
		actor.actionEnded("fail", "http", monotonicSeconds(), errors.actorNotFound());
		metrics.requestFailed(errors.actorNotFound());
		const m = new Scrape(await metrics.render());
		const labels = { ...A, action: "fail", transport: "http" };
		expect(
			m.value("tenon_action_errors_total", { ...labels, group: "core", code: "internal_error" }),
		).toBe(1);
		expect(
			m.value("tenon_action_errors_total", { ...labels, group: "actor", code: "not_found" }),
		).toBe(1);
		expect(m.value("tenon_http_errors_total", { group: "actor", code: "not_found" })).toBe(1);
	});
});
