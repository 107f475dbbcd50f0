/** A one-shot scheduled call. */
export interface ScheduledEvent {
	id: string;
	/** When it fires (ms). */
	at: number;
	action: string;
	args: unknown[];
	createdAt: number;
}

/** A recurring job. */
export interface CronJob {
	name: string;
	kind: "cron" | "every";
	/** Five- or six-field cron expression (`kind: "cron"`). */
	expression?: string;
	/** IANA time zone of the expression (default UTC). */
	timezone?: string;
	/** Interval in ms (`kind: "every"`). */
	interval?: number;
	action: string;
	args: unknown[];
	/** Next firing (ms). */
	nextAt: number;
	createdAt: number;
	maxHistory: number;
}

/** One run of a recurring job. */
export interface CronRun {
	scheduledAt: number;
	firedAt: number;
	ok: boolean;
	/** The error message when the action failed. */
	error?: string;
	durationMs: number;
}

/** How the current action was triggered, when a timer fired it (`c.fire`). */
export interface FireInfo {
	kind: "schedule" | "cron" | "every";
	/** Schedule id, or job name for cron/every. */
	id: string;
	/** When it was due. */
	scheduledAt: number;
	/** When it actually ran (later than `scheduledAt` if the actor was down). */
	firedAt: number;
}

/**
 * One-shot durable timers (`c.schedule`). They survive sleep, restarts and
 * crashes; a due timer wakes a sleeping actor.
 *
 * @example
 * const id = await c.schedule.after(60_000, "remind", userId);
 */
export interface ActorSchedule {
	/** Calls `action(...args)` after `delayMs`; returns the schedule id. */
	after(delayMs: number, action: string, ...args: unknown[]): Promise<string>;
	/** Calls `action(...args)` at `timestamp` (ms since epoch); returns the schedule id. */
	at(timestamp: number, action: string, ...args: unknown[]): Promise<string>;
	get(id: string): Promise<ScheduledEvent | undefined>;
	/** Pending one-shot timers, earliest first. */
	list(): Promise<ScheduledEvent[]>;
	/** Cancels a timer; false when it did not exist (or already fired). */
	cancel(id: string): Promise<boolean>;
}

/** Options of {@link ActorCron.set}. */
export interface CronSetOptions {
	name: string;
	expression: string;
	action: string;
	args?: unknown[] | undefined;
	/** IANA time zone, e.g. `America/Los_Angeles`. Default UTC. */
	timezone?: string | undefined;
	/** Runs kept for `history` (default 100, 0 disables). */
	maxHistory?: number | undefined;
}

/** Options of {@link ActorCron.every}. */
export interface CronEveryOptions {
	name: string;
	/** Interval in ms (at least 1 000). */
	interval: number;
	action: string;
	args?: unknown[] | undefined;
	maxHistory?: number | undefined;
}

/**
 * Named recurring jobs (`c.cron`). Setting a name again replaces the job.
 *
 * @example
 * await c.cron.set({ name: "daily", expression: "0 9 * * *", timezone: "Europe/Paris", action: "report" });
 */
export interface ActorCron {
	set(options: CronSetOptions): Promise<CronJob>;
	every(options: CronEveryOptions): Promise<CronJob>;
	get(name: string): Promise<CronJob | undefined>;
	list(): Promise<CronJob[]>;
	delete(name: string): Promise<boolean>;
	/** Recent runs, newest first. */
	history(name: string, options?: { limit?: number | undefined }): Promise<CronRun[]>;
}
