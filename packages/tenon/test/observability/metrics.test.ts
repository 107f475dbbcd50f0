import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup, UserError } from "../../src/index.js";
import { PrometheusMetrics } from "../../src/observability/prometheus.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";
import { Scrape, scrape } from "../helpers/prometheus.js";

const ADMIN = "metrics-admin-token-0123456789";
const INSPECTOR = "metrics-inspector-token-0123456789";

const counter = actor({
	state: { count: 0 },
	queues: { jobs: queue<string>() },
	options: { sleepTimeout: 1_000 },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			return c.state.count;
		},
		fail: () => {
			throw new UserError("not today", { code: "not_today" });
		},
		take: async (c) => (await c.queue.tryNext())?.body ?? null,
		remindAt: async (c, at: number) => {
			await c.schedule.at(at, "tick");
		},
		tick: (c) => {
			c.state.count++;
		},
	},
});

const A = { actor: "counter" };

describe("GET /metrics", () => {
	it("counts actions, errors, wakes, queue messages, timers, commits and connections", async () => {
		await using t = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		const handle = t.client.counter.getOrCreate("a");
		await handle.increment(1);
		await handle.increment(2);
		await expect(handle.fail()).rejects.toMatchObject({ code: "not_today" });
		const conn = handle.connect();
		expect(await conn.increment(3)).toBe(6);
		await handle.send("jobs", "first job");
		expect(await handle.take()).toBe("first job");
		// A timer set in the past fires at once, 5 s after its time.
		await handle.remindAt(t.clock.now() - 5_000);
		await t.settle();

		let m = await scrape(`${t.url}/metrics`, ADMIN);
		expect(m.value("tenon_actions_total", { ...A, action: "increment", transport: "http" })).toBe(
			2,
		);
		expect(
			m.value("tenon_actions_total", { ...A, action: "increment", transport: "websocket" }),
		).toBe(1);
		expect(m.value("tenon_actions_total", { ...A, action: "tick", transport: "schedule" })).toBe(1);
		expect(
			m.value("tenon_action_duration_seconds", { ...A, action: "increment", transport: "http" }),
		).toBe(2);
		// Buckets from 100 µs: with 1 ms first, every call of a fast action fell in one bucket
		// (an operator's walkthrough, 2026-11-29).
		const bounds = m
			.samples("tenon_action_duration_seconds_bucket", {
				...A,
				action: "increment",
				transport: "http",
			})
			.map((sample) => sample.labels?.le);
		expect(bounds.slice(0, 4)).toEqual(["0.0001", "0.00025", "0.0005", "0.001"]);
		expect(
			m.value("tenon_action_errors_total", {
				...A,
				action: "fail",
				transport: "http",
				group: "user",
				code: "not_today",
			}),
		).toBe(1);
		expect(m.value("tenon_action_errors_total", { ...A, action: "increment" })).toBe(0);
		expect(m.value("tenon_actor_wakes_total", A)).toBe(1);
		expect(m.value("tenon_actor_wake_duration_seconds", A)).toBe(1);
		expect(m.value("tenon_actors_awake", A)).toBe(1);
		expect(m.value("tenon_actors_sleeping", A)).toBe(0);
		expect(m.value("tenon_queue_messages_total", { ...A, event: "enqueued" })).toBe(1);
		expect(m.value("tenon_queue_messages_total", { ...A, event: "delivered" })).toBe(1);
		expect(m.value("tenon_queue_depth", A)).toBe(0);
		expect(m.value("tenon_queue_dead_letters", A)).toBe(0);
		expect(m.value("tenon_alarms_fired_total", A)).toBe(1);
		expect(m.value("tenon_alarms_late_total", A)).toBe(1);
		expect(m.sum("tenon_alarm_lateness_seconds", A)).toBe(5);
		expect(m.value("tenon_connections_awake")).toBe(1);
		expect(m.value("tenon_connections_hibernated")).toBe(0);
		// Every HTTP action, send and failure waited at the output gate (some for nothing);
		// the reply on the connection waited for its write.
		expect(
			m.value("tenon_output_gate_wait_seconds", { ...A, transport: "http" }),
		).toBeGreaterThanOrEqual(6);
		expect(m.value("tenon_output_gate_wait_seconds", { ...A, transport: "websocket" })).toBe(1);
		const commits = m.value("tenon_commit_group_size");
		expect(commits).toBeGreaterThanOrEqual(3);
		expect(m.value("tenon_commit_duration_seconds")).toBe(commits);
		for (const family of m.families.values()) {
			// Tenon's own, and the process's (prom-client's default metrics).
			expect(family.name).toMatch(/^(tenon_|process_|nodejs_)/);
			expect(family.help.length).toBeGreaterThan(10);
		}
		expect(m.value("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
		expect(m.value("process_cpu_seconds_total")).toBeGreaterThan(0);
		expect(m.value("nodejs_eventloop_delay_max_seconds")).toBeGreaterThanOrEqual(0);
		expect(m.value("nodejs_active_resources_total")).toBeGreaterThan(0);
		expect(m.value("nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
		// Left out: prom-client lists /proc/self/fd for it at every scrape.
		expect(m.families.has("process_open_fds")).toBe(false);
		// Nor prom-client's GC observer: a callback per garbage collection on the hot path.
		expect(m.families.has("nodejs_gc_duration_seconds")).toBe(false);

		// Idle for sleepTimeout: the actor sleeps, its connection hibernates.
		await t.clock.advance(1_000);
		await t.settle();
		m = await scrape(`${t.url}/metrics`, ADMIN);
		expect(m.value("tenon_actors_awake", A)).toBe(0);
		expect(m.value("tenon_actors_sleeping", A)).toBe(1);
		expect(m.value("tenon_connections_awake")).toBe(0);
		expect(m.value("tenon_connections_hibernated")).toBe(1);

		// A message on the hibernated connection wakes it again.
		expect(await conn.increment(1)).toBe(8);
		m = await scrape(`${t.url}/metrics`, ADMIN);
		expect(m.value("tenon_actor_wakes_total", A)).toBe(2);
		expect(m.value("tenon_actors_awake", A)).toBe(1);
		expect(m.value("tenon_actors_sleeping", A)).toBe(0);
		expect(m.value("tenon_connections_awake")).toBe(1);
		await conn.dispose();
	});

	it("labels calls to actions that do not exist with one value, whatever their name", async () => {
		await using t = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		const actorId = await t.client.counter.getOrCreate("b").resolve();
		for (const name of ["nope1", "nope2"]) {
			const response = await fetch(`${t.url}/gateway/${actorId}/action/${name}`, {
				method: "POST",
				headers: { "content-type": "application/json", "x-rivet-encoding": "json" },
				body: JSON.stringify({ args: [] }),
			});
			expect(response.status).toBe(404);
		}
		const m = await scrape(`${t.url}/metrics`, ADMIN);
		const labels = { ...A, action: "(unknown)", group: "actor", code: "action_not_found" };
		expect(m.value("tenon_action_errors_total", labels)).toBe(2);
		const actions = m.samples("tenon_actions_total").map((s) => s.labels?.action);
		expect(actions).not.toContain("nope1");
	});

	it("needs the admin or inspector token, and is disabled without one", async () => {
		await using open = await setupTest(setup({ use: { counter }, logLevel: "silent" }));
		const disabled = await fetch(`${open.url}/metrics`);
		expect(disabled.status).toBe(403);
		// Its messages name the metrics token first, the one a scraper should hold (an operator's
		// walkthrough, 2026-11-29: they named only the admin and inspector tokens).
		expect(await disabled.json()).toMatchObject({
			group: "auth",
			code: "metrics_disabled",
			message: expect.stringContaining(
				"metricsToken, admin.token or inspector.token (TENON_METRICS_TOKEN",
			),
		});

		await using t = await setupTest(
			setup({
				use: { counter },
				admin: { token: ADMIN },
				inspector: { token: INSPECTOR },
				logLevel: "silent",
			}),
		);
		const anonymous = await fetch(`${t.url}/metrics`);
		expect(anonymous.status).toBe(401);
		expect(await anonymous.json()).toMatchObject({ group: "auth", code: "unauthorized" });
		const wrong = await fetch(`${t.url}/metrics`, {
			headers: { authorization: "Bearer not-the-right-token-at-all" },
		});
		expect(wrong.status).toBe(403);
		expect(await wrong.json()).toMatchObject({
			group: "auth",
			code: "forbidden",
			message: "The metrics endpoint needs a valid metrics, admin or inspector token",
		});
		const viaInspector = await fetch(`${t.url}/metrics`, {
			headers: { authorization: `Bearer ${INSPECTOR}` },
		});
		expect(viaInspector.status).toBe(200);
		expect(viaInspector.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
		const post = await fetch(`${t.url}/metrics`, {
			method: "POST",
			headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
		});
		expect(post.status).toBe(405);

		await using off = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, metrics: false, logLevel: "silent" }),
		);
		const turnedOff = await fetch(`${off.url}/metrics`, {
			headers: { authorization: `Bearer ${ADMIN}` },
		});
		expect(turnedOff.status).toBe(403);
		expect(await turnedOff.json()).toMatchObject({ code: "metrics_disabled" });
	});

	// The inspector token was the only credential a scraper could hold besides the admin's, and
	// it reads every actor's state, KV, queues and database (an SRE walkthrough, 2026-11-28).
	it("takes a metrics token that reads /metrics and nothing else", async () => {
		const METRICS = "metrics-scraper-token-0123456789";
		await using t = await setupTest(
			setup({ use: { counter }, metricsToken: METRICS, logLevel: "silent" }),
		);
		await t.client.counter.getOrCreate("m").increment(1);
		const scraped = await fetch(`${t.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS}` },
		});
		expect(scraped.status).toBe(200);
		expect(await scraped.text()).toContain("tenon_actions_total");
		for (const path of ["/inspector/actors", "/actors?name=counter"]) {
			const refused = await fetch(`${t.url}${path}`, {
				headers: { authorization: `Bearer ${METRICS}` },
			});
			expect(refused.status, path).toBeGreaterThanOrEqual(400);
			expect(refused.status, path).toBeLessThan(500);
		}
	});

	it("is served under the basePath, and two servers in one process keep their own counts", async () => {
		await using one = await setupTest(
			setup({
				use: { counter },
				admin: { token: ADMIN },
				basePath: "/api/tenon",
				logLevel: "silent",
			}),
		);
		await using two = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		// The test client speaks to the root path; call the mounted server's gateway directly.
		const created = await fetch(`${one.url}/api/tenon/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "counter", key: "k" }),
		});
		const { actor: record } = (await created.json()) as { actor: { actor_id: string } };
		const action = await fetch(`${one.url}/api/tenon/gateway/${record.actor_id}/action/increment`, {
			method: "POST",
			headers: { "content-type": "application/json", "x-rivet-encoding": "json" },
			body: JSON.stringify({ args: [1] }),
		});
		expect(action.status).toBe(200);
		await two.client.counter.getOrCreate("k").increment(1);
		await two.client.counter.getOrCreate("k").increment(1);

		const first = await scrape(`${one.url}/api/tenon/metrics`, ADMIN);
		const second = await scrape(`${two.url}/metrics`, ADMIN);
		expect(first.value("tenon_actions_total", { ...A, action: "increment" })).toBe(1);
		expect(second.value("tenon_actions_total", { ...A, action: "increment" })).toBe(2);
		expect((await fetch(`${one.url}/metrics`)).status).toBe(404);
	});
});

describe("docs/observability.md", () => {
	it("documents every metric the server exposes, with its type", async () => {
		const doc = readFileSync(new URL("../../../../docs/observability.md", import.meta.url), "utf8");
		const section = doc.split(/^## Metrics$/m)[1]?.split(/^## /m)[0] ?? "";
		expect(section).not.toBe("");
		const metrics = new PrometheusMetrics();
		const all = new Scrape(await metrics.render()).families;
		const exposed = new Map([...all].filter(([name]) => name.startsWith("tenon_")));
		// The scrape of a fresh registry names every metric (with HELP and TYPE).
		expect([...exposed.keys()].sort()).toEqual(
			metrics.registry
				.getMetricsAsArray()
				.map((metric) => metric.name)
				.sort(),
		);
		expect(exposed.size).toBeGreaterThanOrEqual(21);
		// The rest are the process's, which the page names by their prefixes and source.
		const processFamilies = [...all.keys()].filter((name) => !name.startsWith("tenon_"));
		expect(processFamilies.length).toBeGreaterThan(10);
		for (const name of processFamilies) expect(name).toMatch(/^(process_|nodejs_)/);
		for (const named of [
			"process_cpu_seconds_total",
			"process_resident_memory_bytes",
			"nodejs_eventloop_delay_max_seconds",
			"nodejs_heap_size_used_bytes",
			"collectDefaultMetrics",
		])
			expect(section).toContain(named);
		// The table's rows, as cells: name, type, labels, meaning.
		const rows = section
			.split("\n")
			.filter((line) => line.startsWith("|"))
			.map((line) => line.split("|").map((cell) => cell.trim()));
		const undocumented: string[] = [];
		for (const family of exposed.values()) {
			const row = rows.find((cells) => cells[1] === `\`${family.name}\``);
			if (row?.[2] !== family.type.toLowerCase() || (row[4] ?? "").length < 20)
				undocumented.push(family.name);
		}
		expect(undocumented).toEqual([]);
	});
});

describe("output gate wait on a connection", () => {
	it("counts a reply still held when its actor stops before the reply's write commits", async () => {
		let resume = () => {};
		const paused = new Promise<void>((resolve) => {
			resume = resolve;
		});
		const napper = actor({
			state: { n: 0 },
			options: { sleepGracePeriod: 100 },
			actions: {
				write: (c) => ++c.state.n,
				// Outlives the grace period; writes after the stop's last commit was collected.
				late: async (c) => {
					await paused;
					return ++c.state.n;
				},
				nap: (c) => c.sleep(),
			},
		});
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(
			setup({ use: { napper }, admin: { token: ADMIN }, logLevel: "silent" }),
			{ storage: storage.driver },
		);
		const gateWaits = async () =>
			(await scrape(`${t.url}/metrics`, ADMIN)).value("tenon_output_gate_wait_seconds", {
				actor: "napper",
				transport: "websocket",
			});
		const conn = t.client.napper.getOrCreate("n").connect();
		try {
			expect(await conn.write()).toBe(1);
			storage.hold();
			void conn.late().catch(() => {});
			const written = conn.write();
			await expect.poll(() => storage.held).toBe(1);
			const napped = conn.nap();
			await turns(20);
			await t.clock.advance(100); // the grace period for `late` ends: the stop goes on
			await turns(20);
			// The first write's reply was timed; the second's and nap's wait for the held commit.
			expect(await gateWaits()).toBe(1);
			// It lands; the stop's last commit starts (held), then `late` writes after it.
			storage.releaseOne();
			await expect.poll(() => storage.commits).toBe(4);
			expect(await gateWaits()).toBe(3);
			resume();
			await turns(20);
			// The last commit lands and the actor sleeps: `late`'s reply never leaves, and its
			// wait is counted as it ends (as the promise per reply counted it before).
			storage.releaseOne();
			await expect.poll(gateWaits).toBe(4);
			expect(await written).toBe(2);
			await napped;
		} finally {
			storage.release();
			await conn.dispose();
		}
	});
});

// Storage failures showed nowhere in the metrics: the calls they failed answered 500 and no
// series moved (an SRE walkthrough, 2026-11-28).
describe("failed commits", () => {
	it("count in tenon_commit_failures_total", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, logLevel: "silent" }),
			{ storage: storage.driver },
		);
		const handle = t.client.counter.getOrCreate("failing");
		await handle.increment(1);
		const metrics = `${t.url}/metrics`;
		const before = (await scrape(metrics, ADMIN)).value("tenon_commit_failures_total");
		storage.failNext(1);
		await expect(handle.increment(1)).rejects.toMatchObject({ code: "internal_error" });
		expect((await scrape(metrics, ADMIN)).value("tenon_commit_failures_total")).toBe(before + 1);
		expect(await handle.increment(1)).toBeGreaterThan(0);
	});
});

// Refused requests showed nowhere (an SRE walkthrough, 2026-11-29): 5,782 answers 429, wrong
// tokens, unknown actors and bad bodies moved no series and logged no line.
describe("HTTP error answers", () => {
	it("count in tenon_http_errors_total by group and code, upgrades refused too", async () => {
		await using t = await setupTest(
			setup({ use: { counter }, admin: { token: ADMIN }, logLevel: "silent" }),
		);
		const metrics = `${t.url}/metrics`;
		const count = async (group: string, code: string) =>
			(await scrape(metrics, ADMIN)).value("tenon_http_errors_total", { group, code });
		const notFound = await count("actor", "not_found");
		const forbidden = await count("auth", "forbidden");
		const unknown = await fetch(
			`${t.url}/gateway/counter/action/increment?rvt-method=get&rvt-key=none`,
			{
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ args: [1] }),
			},
		);
		expect(unknown.status).toBe(404);
		const wrongToken = await fetch(`${t.url}/inspector/actors`, {
			headers: { authorization: "Bearer wrong-token" },
		});
		expect(wrongToken.status).toBe(403);
		// An upgrade from a foreign page: refused before any socket.
		const origin = await count("auth", "origin_not_allowed");
		const { WebSocket } = await import("ws");
		const ws = new WebSocket(
			`${t.url.replace("http", "ws")}/gateway/counter/connect?rvt-method=getOrCreate&rvt-key=a`,
			["rivet", "rivet_encoding.json"],
			{ headers: { origin: "https://evil.example" } },
		);
		const refused = await new Promise<number>((resolve) => {
			ws.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
			ws.once("open", () => resolve(101));
			ws.once("error", () => resolve(-1));
		});
		ws.terminate();
		expect(refused).toBe(403);
		expect(await count("auth", "origin_not_allowed")).toBe(origin + 1);
		expect(await count("auth", "forbidden")).toBe(forbidden + 1);
		expect(await count("actor", "not_found")).toBe(notFound + 1);
	});
});
