// Where the runner and the systems run while latency rows are measured.
//
// One call in flight is a ping-pong between the runner and a server. Left to
// the scheduler, the two land on the same core or on different ones, once
// per server start, and stay there: the same server code read 57 µs or
// 104 µs a call (relaxed warm action) depending on its start, and a row could
// compare one system's lucky placement with another's unlucky one. So latency
// rows run with the runner on the first CPU this process may use and every
// process (and thread) of the system on the others, as a client and a server
// on their own machines would; throughput, memory and broadcast rows run
// unpinned, on every CPU the run started with. Linux only, through `taskset`
// (util-linux); where it is missing or fails, nothing is pinned and the
// run's header says why.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Parses a kernel CPU list ("0-3,8,10-11") into CPU numbers. */
export function parseCpuList(list: string): number[] {
	const cpus: number[] = [];
	for (const part of list.trim().split(",")) {
		if (part === "") continue;
		const [from, to] = part.split("-").map(Number) as [number, number | undefined];
		for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
	}
	return cpus;
}

/** The CPUs this process may use (its cpuset), read once, before anything is pinned. */
function allowedCpus(): string | undefined {
	try {
		return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
	} catch {
		return undefined;
	}
}

const ORIGINAL = process.platform === "linux" ? allowedCpus() : undefined;
const CPUS = ORIGINAL === undefined ? [] : parseCpuList(ORIGINAL);

let unavailable: string | undefined;
let checked = false;
let pinned = false;
/** Processes (by session) whose servers are pinned while latency rows run. */
const sessions = new Set<number>();
let sessionPids: ((session: number) => number[]) | undefined;

/** Why latency rows are not pinned here, or `undefined` when they are (or will be). */
export function pinUnavailable(): string | undefined {
	if (!checked) {
		checked = true;
		if (process.env.TENON_BENCH_PIN === "0") unavailable = "TENON_BENCH_PIN=0";
		else if (process.platform !== "linux") unavailable = "not Linux";
		else if (CPUS.length < 2) unavailable = `one CPU (${ORIGINAL ?? "unknown"})`;
		else {
			try {
				execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
			} catch {
				unavailable = "no taskset";
			}
		}
	}
	return unavailable;
}

/** True when latency rows can be pinned here. */
export function canPin(): boolean {
	return pinUnavailable() === undefined;
}

/** Sets the CPUs of every thread of `pid`; false when it failed. */
function setAffinity(pid: number, cpus: string): boolean {
	try {
		// -a: every thread (libuv's pool, V8's helpers, an engine's workers).
		execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
		return true;
	} catch {
		return false;
	}
}

const runnerCpu = () => String(CPUS[0]);
const serverCpus = () => CPUS.slice(1).join(",");

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

/**
 * The runner on its first CPU, every system process on the others (no-op
 * where it cannot; if pinning the runner fails, latency rows run unpinned
 * and {@link pinUnavailable} says so).
 */
export function pinForLatency(): void {
	if (!canPin() || pinned) return;
	if (!setAffinity(process.pid, runnerCpu())) {
		unavailable = "taskset failed";
		return;
	}
	pinned = true;
	for (const session of sessions)
		for (const pid of sessionPids?.(session) ?? []) setAffinity(pid, serverCpus());
}

/** Every process may run on the CPUs the run started with again. */
export function unpin(): void {
	if (!pinned || ORIGINAL === undefined) return;
	pinned = false;
	setAffinity(process.pid, ORIGINAL);
	for (const session of sessions)
		for (const pid of sessionPids?.(session) ?? []) setAffinity(pid, ORIGINAL);
}
