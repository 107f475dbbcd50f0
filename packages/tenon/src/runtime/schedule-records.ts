// What the schedule manager stores and how it computes times: its keys in
// the actor's store (area 0x05), its errors, and cron arithmetic.

import { Cron } from "croner";
import type { CronJob, CronRun, ScheduledEvent } from "../actor/schedule.js";
import { MAX_DATE_MS } from "../common/clock.js";
import { assertStorable } from "../common/storable.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import { AREA } from "../storage/actor-keys.js";
import type { ActorStore } from "../storage/interfaces.js";
import type { ActorCore } from "./actor-core.js";
import { namesNoRealDate } from "./cron-dates.js";

export const META_KEY = Uint8Array.of(AREA.SCHEDULE, 0x00);
export const ONE_SHOT_RANGE = {
	start: Uint8Array.of(AREA.SCHEDULE, 0x01),
	end: Uint8Array.of(AREA.SCHEDULE, 0x02),
};
export const JOB_RANGE = {
	start: Uint8Array.of(AREA.SCHEDULE, 0x02),
	end: Uint8Array.of(AREA.SCHEDULE, 0x03),
};
const encoder = new TextEncoder();

export function oneShotKey(id: number): Uint8Array {
	const key = new Uint8Array(10);
	key[0] = AREA.SCHEDULE;
	key[1] = 0x01;
	new DataView(key.buffer).setBigUint64(2, BigInt(id));
	return key;
}

export function jobKey(name: string): Uint8Array {
	const bytes = encoder.encode(name);
	const key = new Uint8Array(bytes.byteLength + 2);
	key[0] = AREA.SCHEDULE;
	key[1] = 0x02;
	key.set(bytes, 2);
	return key;
}

/** Smallest `every` interval. */
export const MIN_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_HISTORY = 100;
export const MAX_HISTORY = 1_000;

export const scheduleErrors = {
	limit: (limit: number) =>
		new ActorError("schedule", "limit_reached", `The actor has ${limit} timers and jobs already`, {
			limit,
		}),
	invalid: (reason: string) => new ActorError("schedule", "invalid", `Invalid schedule: ${reason}`),
	argsTooLarge: (size: number, limit: number) =>
		new ActorError(
			"schedule",
			"args_too_large",
			`A timer's or job's arguments are ${size} bytes (limit ${limit})`,
			{ size, limit },
		),
	invalidCron: (expression: string, reason: string) =>
		new ActorError(
			"schedule",
			"invalid_cron",
			`Invalid cron expression '${expression}': ${reason}`,
			{ expression },
		),
};

/** A stored recurring job with its recent runs (newest first). */
export interface StoredJob extends CronJob {
	runs: CronRun[];
}

/** The next time after `after` that `expression` matches in `timezone`. */
export function nextCronRun(
	expression: string,
	timezone: string | undefined,
	after: number,
): number;
/** ... or undefined when it never matches after `after` (with `orUndefined`). */
export function nextCronRun(
	expression: string,
	timezone: string | undefined,
	after: number,
	orUndefined: true,
): number | undefined;
export function nextCronRun(
	expression: string,
	timezone: string | undefined,
	after: number,
	orUndefined = false,
): number | undefined {
	let cron: Cron;
	try {
		cron = new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
	} catch (error) {
		throw scheduleErrors.invalidCron(
			expression,
			error instanceof Error ? error.message : String(error),
		);
	}
	let next: Date | null;
	try {
		// Known never to fire without croner's search to year 9999 (see cron-dates.ts).
		next = namesNoRealDate(expression) ? null : cron.nextRun(new Date(after));
	} catch (error) {
		// Its search recurses: a deep one overflowed the stack in a smaller one than Node's.
		throw scheduleErrors.invalidCron(expression, error instanceof Error ? error.message : "");
	}
	if (next === null) {
		if (orUndefined) return undefined;
		throw scheduleErrors.invalidCron(expression, "it never fires");
	}
	return next.getTime();
}

/** Throws `schedule/invalid` for a time zone this runtime does not know. */
export function checkTimezone(timezone: string | undefined): void {
	if (timezone === undefined) return;
	try {
		new Intl.DateTimeFormat("en-US", { timeZone: timezone });
	} catch {
		throw scheduleErrors.invalid(`unknown time zone '${timezone}'`);
	}
}

/** An actor's timers (soonest first) and jobs, as committed. */
export interface StoredSchedules {
	readonly timers: ScheduledEvent[];
	readonly jobs: StoredJob[];
}

/** Reads the committed timers and jobs of an actor (it need not be awake). */
export async function readSchedules(store: ActorStore, actorId: string): Promise<StoredSchedules> {
	const timers: ScheduledEvent[] = [];
	for (const [key, value] of await store.list(actorId, ONE_SHOT_RANGE)) {
		const id = new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(2);
		const { depth: _depth, ...record } = cborDecode(value) as Omit<ScheduledEvent, "id"> & {
			depth?: number;
		};
		timers.push({ ...record, id: String(id) });
	}
	timers.sort((a, b) => a.at - b.at || Number(a.id) - Number(b.id));
	const jobs: StoredJob[] = [];
	for (const [, value] of await store.list(actorId, JOB_RANGE))
		jobs.push(cborDecode(value) as StoredJob);
	jobs.sort((a, b) => a.nextAt - b.nextAt);
	return { timers, jobs };
}

/** A job as `c.cron` shows it: without its runs. */
export function publicJob(job: StoredJob | undefined): CronJob | undefined {
	if (job === undefined) return undefined;
	const { runs: _runs, ...rest } = job;
	return rest;
}

/**
 * A job's next run strictly after `now` (missed runs collapse into the one firing now), or
 * undefined when it has none (its expression stopped matching).
 */
export function followingRun(job: StoredJob, now: number): number | undefined {
	if (job.kind === "every") {
		const interval = job.interval as number;
		const behind = Math.max(0, now - job.nextAt);
		return job.nextAt + interval * (Math.floor(behind / interval) + 1);
	}
	try {
		return nextCronRun(job.expression as string, job.timezone, now, true);
	} catch {
		return undefined;
	}
}

/** A timer's delay, checked: a finite number of ms, at least 0. */
export function checkDelay(delayMs: number): number {
	if (!Number.isFinite(delayMs) || delayMs < 0)
		throw scheduleErrors.invalid("the delay must be a finite number of ms >= 0");
	return delayMs;
}

const MAX_TIME = MAX_DATE_MS;

/**
 * A timer's time, within what a `Date` holds: `at(-1e308)` was stored, and its lateness
 * (`tenon_alarm_lateness_seconds`) put 1e305 in the metric's sum (an attacker probe, 2026-11-28).
 */
export function checkTimestamp(timestamp: number): number {
	if (!Number.isFinite(timestamp) || timestamp < 0 || timestamp > MAX_TIME)
		throw scheduleErrors.invalid("the time must be a number of ms from 0 to 8.64e15");
	return timestamp;
}

/**
 * A timer's or job's arguments as stored: an array (a job's number or string `args` failed
 * every run, or was spread into characters), storable, within `maxScheduleArgsSize` (every
 * wake loads them), for an action the actor has.
 */
export function checkScheduledCall(
	core: Pick<ActorCore, "hasAction" | "toRaw" | "options">,
	action: string,
	args: unknown,
): unknown[] {
	if (typeof action !== "string" || !core.hasAction(action))
		throw errors.actionNotFound(String(action));
	if (!Array.isArray(args)) throw scheduleErrors.invalid("args must be an array");
	const raw = core.toRaw(args);
	assertStorable(raw, `schedule(${action}).args`);
	const size = cborEncode(raw).byteLength;
	const limit = core.options.maxScheduleArgsSize;
	if (size > limit) throw scheduleErrors.argsTooLarge(size, limit);
	return raw;
}
