// What the sandbox's tests share: reading a run's result or error, and timing a run against
// the host's own deadline.
import { expect } from "vitest";
import { runInSandbox, type SandboxResult } from "./sandbox.js";

export const MIB = 1024 * 1024;

/** The value of a successful run; fails the test with the error otherwise. */
export function resultOf(run: SandboxResult): unknown {
	if (!run.ok) throw new Error(`expected ok, got ${run.error.kind}: ${run.error.message}`);
	return run.result;
}

export function errorOf(run: SandboxResult): { kind: string; message: string } {
	if (run.ok) throw new Error(`expected an error, got ${JSON.stringify(run.result)}`);
	return run.error;
}

/**
 * For runs whose subject is not time: their work (milliseconds) must not meet a deadline even
 * on a loaded machine.
 */
export const UNHURRIED = { timeLimitMs: 10_000 };

/** The host's own deadline after a run's time limit (sandbox.ts's KILL_GRACE_MS). */
export const KILL_GRACE_MS = 150;

/**
 * Runs `code` on a warm worker and measures the wall time of the whole call. `lateMs`: how
 * long after the host's deadline for it (the time limit plus the kill grace) the call ended,
 * as a timer on this same event loop saw that deadline. A bound on the wall time alone also
 * counted how late a loaded machine ran the host's timers (a flake hunt read 774 ms against a
 * 700 ms bound); both timers are late alike, so the difference is the sandbox's own.
 */
export async function timed(
	code: string,
	limits?: Parameters<typeof runInSandbox>[1],
): Promise<{ run: SandboxResult; elapsedMs: number; lateMs: number }> {
	// A previous test may have had its worker killed; starting one is not part of a run.
	expect(resultOf(await runInSandbox("0"))).toBe(0);
	const startedAt = performance.now();
	let deadlineSeenAt: number | undefined;
	const deadline = setTimeout(
		() => {
			deadlineSeenAt = performance.now();
		},
		(limits?.timeLimitMs ?? 1_000) + KILL_GRACE_MS,
	);
	const run = await runInSandbox(code, limits);
	const endedAt = performance.now();
	clearTimeout(deadline);
	const lateMs = deadlineSeenAt === undefined ? 0 : endedAt - deadlineSeenAt;
	return { run, elapsedMs: endedAt - startedAt, lateMs };
}
