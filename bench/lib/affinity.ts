// Where the runner and the systems run while latency rows are measured.
//
// One call in flight is a ping-pong between the runner and a server. Left to
// the scheduler, the two land on the same core or on different ones, once
// per server start, and stay there: the same server code read 57 µs or
// 104 µs a call (relaxed warm action) depending on its start, and a row could
// compare one system's lucky placement with another's unlucky one. So latency
// rows run with the runner on the first CPU and every process (and thread) of
// the system on the others, as a client and a server on their own machines
// would; throughput, memory and broadcast rows run unpinned, with every core.
// Linux only, through `taskset` (util-linux); where it is missing nothing is
// pinned and the run's header says so.

import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

let available: boolean | undefined;
let pinned = false;
/** Processes (by session) whose servers are pinned while latency rows run. */
const sessions = new Set<number>();
let sessionPids: ((session: number) => number[]) | undefined;

// Read once, before anything is pinned: availableParallelism() counts the CPUs
// this process may use, which is one once the runner is pinned.
const CPUS = availableParallelism();

function cpuCount(): number {
	return CPUS;
}

/** True when latency rows can be pinned here (Linux, `taskset`, at least two CPUs). */
export function canPin(): boolean {
	if (available === undefined) {
		available = false;
		// TENON_BENCH_PIN=0: leave placement to the scheduler (to compare with pinned runs).
		if (process.platform === "linux" && cpuCount() >= 2 && process.env.TENON_BENCH_PIN !== "0") {
			try {
				execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
				available = true;
			} catch {
				// No taskset: latency rows run unpinned.
			}
		}
	}
	return available;
}

function setAffinity(pid: number, cpus: string): void {
	try {
		// -a: every thread (libuv's pool, V8's helpers, an engine's workers).
		execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
	} catch {
		// The process ended meanwhile.
	}
}

const allCpus = () => `0-${cpuCount() - 1}`;
const serverCpus = () => (cpuCount() > 2 ? `1-${cpuCount() - 1}` : "1");

/** Called by process.ts: how to list a session's processes. */
export function trackSessions(list: (session: number) => number[]): void {
	sessionPids = list;
}

/** A system's process session started: pinned at once while latency rows run. */
export function sessionStarted(session: number): void {
	sessions.add(session);
	if (pinned) for (const pid of sessionPids?.(session) ?? []) setAffinity(pid, serverCpus());
}

/** A session stopped. */
export function sessionStopped(session: number): void {
	sessions.delete(session);
}

/** The runner on CPU 0, every system process on the other CPUs (no-op where it cannot). */
export function pinForLatency(): void {
	if (!canPin() || pinned) return;
	pinned = true;
	setAffinity(process.pid, "0");
	for (const session of sessions)
		for (const pid of sessionPids?.(session) ?? []) setAffinity(pid, serverCpus());
}

/** Every process may run on every CPU again. */
export function unpin(): void {
	if (!pinned) return;
	pinned = false;
	setAffinity(process.pid, allCpus());
	for (const session of sessions)
		for (const pid of sessionPids?.(session) ?? []) setAffinity(pid, allCpus());
}
