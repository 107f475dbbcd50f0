// The process's own metrics on `/metrics`: CPU, memory, heap, event-loop delay,
// handles. Written here rather than taken from prom-client's
// `collectDefaultMetrics`: that one installs a GC PerformanceObserver (an entry
// object and a JavaScript callback per garbage collection) and an event-loop
// delay histogram sampled every 10 ms, which together cost a warm durable
// action 9% more server CPU (`bench/ab.ts`, 2026-11-28: 1.096x, and 1.021x
// without both). These are read when scraped, from Node's public APIs; the one
// thing measured continuously, the event loop's delay, is a timer's lateness
// twice a second. Names follow prom-client's, which dashboards know.
import { getHeapStatistics } from "node:v8";
import { Counter, Gauge, Registry } from "prom-client";

/** How often the event loop's delay is sampled (ms). */
const DELAY_SAMPLE_MS = 500;

let registry: Registry | undefined;

/** The process's metrics, one registry per process (every server's `/metrics` shows it). */
export function processMetrics(): Registry {
	registry ??= createProcessMetrics();
	return registry;
}

function createProcessMetrics(): Registry {
	const registers = [new Registry()];
	const cpu = (name: string, help: string, read: (usage: NodeJS.CpuUsage) => number) =>
		new Counter({
			name,
			help,
			registers,
			collect() {
				this.reset();
				this.inc(read(process.cpuUsage()) / 1e6);
			},
		});
	cpu("process_cpu_user_seconds_total", "User CPU time spent in seconds.", (u) => u.user);
	cpu("process_cpu_system_seconds_total", "System CPU time spent in seconds.", (u) => u.system);
	cpu(
		"process_cpu_seconds_total",
		"Total user and system CPU time spent in seconds.",
		(u) => u.user + u.system,
	);
	const gauge = (name: string, help: string, read: () => number) =>
		new Gauge({
			name,
			help,
			registers,
			collect() {
				this.set(read());
			},
		});
	const startedAt = Math.round(Date.now() / 1000 - process.uptime());
	gauge(
		"process_start_time_seconds",
		"Start time of the process since unix epoch in seconds.",
		() => startedAt,
	);
	gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () =>
		process.memoryUsage.rss(),
	);
	gauge(
		"nodejs_heap_size_total_bytes",
		"Process heap size from Node.js in bytes.",
		() => getHeapStatistics().total_heap_size,
	);
	gauge(
		"nodejs_heap_size_used_bytes",
		"Process heap size used from Node.js in bytes.",
		() => getHeapStatistics().used_heap_size,
	);
	gauge(
		"nodejs_heap_size_limit_bytes",
		"The heap's size limit (V8's, or --max-old-space-size) in bytes.",
		() => getHeapStatistics().heap_size_limit,
	);
	gauge(
		"nodejs_external_memory_bytes",
		"Node.js external memory size in bytes.",
		() => process.memoryUsage().external,
	);
	// Counted by type name without building objects per handle (getActiveResourcesInfo gives strings).
	gauge(
		"nodejs_active_resources_total",
		"Number of active resources keeping the event loop alive (sockets, timers, files, ...).",
		() => process.getActiveResourcesInfo().length,
	);
	new Gauge({
		name: "nodejs_version_info",
		help: "Node.js version info.",
		labelNames: ["version"],
		registers,
		collect() {
			this.set({ version: process.version }, 1);
		},
	});
	// The longest a timer came late since the last scrape: how long the loop was blocked.
	let worst = 0;
	let due = performance.now() + DELAY_SAMPLE_MS;
	const sampler = setInterval(() => {
		const now = performance.now();
		worst = Math.max(worst, now - due);
		due = now + DELAY_SAMPLE_MS;
	}, DELAY_SAMPLE_MS);
	sampler.unref();
	new Gauge({
		name: "nodejs_eventloop_delay_max_seconds",
		help: "The longest delay of the event loop since the last scrape (a timer's lateness, sampled every 0.5 s), in seconds.",
		registers,
		collect() {
			this.set(Math.max(0, worst) / 1000);
			worst = 0;
		},
	});
	return registers[0] as Registry;
}
