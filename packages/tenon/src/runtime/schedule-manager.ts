import type {
	ActorCron,
	ActorSchedule,
	CronEveryOptions,
	CronJob,
	CronRun,
	CronSetOptions,
	FireInfo,
	ScheduledEvent,
} from "../actor/schedule.js";
import type { TimerHandle } from "../common/clock.js";
import { errorText } from "../common/error-text.js";
import { sequenceId } from "../common/ids.js";
import { newRequestId } from "../common/request-id.js";
import { outsideTrace } from "../observability/tracing.js";
import { utf8Length } from "../protocol/bytes.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import type { ActorStore } from "../storage/interfaces.js";
import type { ActorCore } from "./actor-core.js";
import type { WriteBatch, WriteSource } from "./actor-writer.js";
import type { ConnectionImpl } from "./connections/connection.js";
import type { PendingWrites } from "./pending-writes.js";
import {
	checkDelay,
	checkScheduledCall,
	checkTimestamp,
	checkTimezone,
	DEFAULT_MAX_HISTORY,
	followingRun,
	JOB_RANGE,
	jobKey,
	MAX_HISTORY,
	META_KEY,
	MIN_INTERVAL_MS,
	nextCronRun,
	ONE_SHOT_RANGE,
	oneShotKey,
	publicJob,
	type StoredJob,
	scheduleErrors,
} from "./schedule-records.js";
import { type StoredTimer, TimerDepths } from "./timer-depths.js";

/**
 * `c.schedule` and `c.cron`: durable timers in the actor's store (area 0x05).
 * Due entries fire one at a time, earliest first, as actions of the actor.
 * A one-shot timer is removed in the same turn as its action's writes, so a
 * crash before that commit fires it again (at least once). The earliest due
 * time goes into each commit as the actor's alarm, so a sleeping actor is
 * woken for it.
 */
/** What the timers need from their actor besides its core. */
export interface ScheduleOwner {
	/** The connection timers fire their actions on. */
	internalConn(): ConnectionImpl;
	/**
	 * When the actor should be woken for stored queue messages (its `run`
	 * loop consumes them), or undefined; part of the alarm.
	 */
	queueWakeAt(): number | undefined;
}

/** How long due entries wait after the timer loop threw, before they are tried again. */
const FIRE_RETRY_MS = 1_000;
const NO_ONE_SHOTS: ReadonlyMap<number, ScheduledEvent> = new Map();
const NO_JOBS: ReadonlyMap<string, StoredJob> = new Map();

export class ScheduleManager implements WriteSource {
	readonly #core: ActorCore;
	readonly #writes: PendingWrites;
	readonly #owner: ScheduleOwner;
	// Most actors schedule nothing: both start as a shared empty map (never
	// written: deleting from it is a no-op) and get their own on the first add.
	#oneShots = NO_ONE_SHOTS as Map<number, ScheduledEvent>;
	#jobs = NO_JOBS as Map<string, StoredJob>;
	#nextId = 1;
	#alarmDirty = false;
	#timer: TimerHandle | undefined;
	#immediate: ReturnType<typeof setImmediate> | undefined;
	#firing = false;
	/** Nothing fires before this time (set for a second after the timer loop threw). */
	#retryAt = 0;
	#closed = false;

	#schedule: ActorSchedule | undefined;
	readonly #depths = new TimerDepths();
	#cron: ActorCron | undefined;

	constructor(core: ActorCore, writes: PendingWrites, owner: ScheduleOwner) {
		this.#core = core;
		this.#writes = writes;
		this.#owner = owner;
	}

	/** `c.schedule` (made on first use). */
	get schedule(): ActorSchedule {
		this.#schedule ??= this.#scheduleApi(0);
		return this.#schedule;
	}

	/** `c.schedule` for code serving a call `depth` deep: its timers keep that depth (timer-depths.ts). */
	scheduleAtDepth(depth: number): ActorSchedule {
		return depth > 0 ? this.#scheduleApi(depth) : this.schedule;
	}

	#scheduleApi(depth: number): ActorSchedule {
		return {
			after: async (delayMs, action, ...args) => {
				const at = checkTimestamp(this.#core.clock.now() + checkDelay(delayMs));
				return this.#addOneShot(at, action, args, depth);
			},
			at: async (timestamp, action, ...args) =>
				this.#addOneShot(checkTimestamp(timestamp), action, args, depth),
			get: async (id) => {
				const key = sequenceId(id);
				return key === undefined ? undefined : this.#oneShots.get(key);
			},
			list: async () => this.#sortedOneShots(),
			cancel: async (id) => {
				const key = sequenceId(id);
				return key !== undefined && this.#cancel(key);
			},
		};
	}

	/** `c.cron` (made on first use). */
	get cron(): ActorCron {
		this.#cron ??= {
			set: async (options) => this.#setJob(options),
			every: async (options) => this.#everyJob(options),
			get: async (name) => publicJob(this.#jobs.get(name)),
			list: async () => [...this.#jobs.values()].map((job) => publicJob(job) as CronJob),
			delete: async (name) => this.#deleteJob(name),
			history: async (name, options) => {
				// A negative or fractional limit gave `[]` or a rounded slice without a word (a
				// walkthrough, 2026-11-27); `c.kv` refuses such limits too.
				const limit = options?.limit ?? DEFAULT_MAX_HISTORY;
				if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 0)
					throw scheduleErrors.invalid(
						"a history limit must be an integer, 0 or more, or Infinity",
					);
				return (this.#jobs.get(name)?.runs ?? []).slice(0, limit);
			},
		};
		return this.#cron;
	}

	#ownOneShots(): Map<number, ScheduledEvent> {
		if (this.#oneShots === NO_ONE_SHOTS) this.#oneShots = new Map();
		return this.#oneShots;
	}

	#ownJobs(): Map<string, StoredJob> {
		if (this.#jobs === NO_JOBS) this.#jobs = new Map();
		return this.#jobs;
	}

	/** Loads timers and jobs. */
	async load(store: ActorStore, actorId: string): Promise<void> {
		const [meta] = await store.get(actorId, [META_KEY]);
		// Every timer is written with this record: without it there are none to
		// read (jobs are not counted in it, so they are always read).
		if (meta !== undefined) {
			this.#nextId = (cborDecode(meta) as { nextId: number }).nextId;
			for (const [key, value] of await store.list(actorId, ONE_SHOT_RANGE)) {
				const id = Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(2));
				const record = this.#depths.loaded(id, cborDecode(value) as StoredTimer);
				this.#ownOneShots().set(id, { ...record, id: String(id) });
			}
		}
		for (const [, value] of await store.list(actorId, JOB_RANGE)) {
			const job = cborDecode(value) as StoredJob;
			this.#ownJobs().set(job.name, job);
		}
	}

	/** Starts the local timer for the earliest entry. */
	start(): void {
		this.#arm();
	}

	/** Stops firing (the actor is stopping). */
	close(): void {
		this.#closed = true;
		if (this.#timer !== undefined) this.#core.clock.clearTimeout(this.#timer);
		if (this.#immediate !== undefined) clearImmediate(this.#immediate);
		this.#timer = undefined;
	}

	// ---- WriteSource: the buffered writes plus the actor's alarm -------------

	get hasChanges(): boolean {
		return this.#alarmDirty;
	}

	collect(batch: WriteBatch): void {
		if (!this.#alarmDirty) return;
		this.#alarmDirty = false;
		const timers = this.earliest();
		const queued = this.#owner.queueWakeAt();
		const alarm =
			timers === undefined ? queued : queued === undefined ? timers : Math.min(timers, queued);
		batch.alarm = alarm ?? null;
	}

	/** The next commit recomputes the actor's alarm (the queue's part of it changed). */
	alarmChanged(): void {
		this.#alarmDirty = true;
	}

	/** The earliest due time of any timer or job. */
	earliest(): number | undefined {
		let earliest: number | undefined;
		for (const event of this.#oneShots.values())
			if (earliest === undefined || event.at < earliest) earliest = event.at;
		for (const job of this.#jobs.values())
			if (earliest === undefined || job.nextAt < earliest) earliest = job.nextAt;
		return earliest;
	}

	#changed(): void {
		this.#alarmDirty = true;
		this.#arm();
	}

	// ---- One-shot timers -----------------------------------------------------

	#checkLimit(): void {
		const limit = this.#core.options.maxSchedules;
		if (this.#oneShots.size + this.#jobs.size >= limit) throw scheduleErrors.limit(limit);
	}

	#addOneShot(at: number, action: string, args: unknown[], depth: number): string {
		const raw = checkScheduledCall(this.#core, action, args);
		this.#checkLimit();
		const id = this.#nextId++;
		const event: ScheduledEvent = {
			id: String(id),
			at,
			action,
			args: raw,
			createdAt: this.#core.clock.now(),
		};
		this.#ownOneShots().set(id, event);
		const fields = { at, action, args: raw, createdAt: event.createdAt };
		this.#writes.put(oneShotKey(id), cborEncode(this.#depths.record(id, fields, depth)));
		this.#writes.put(META_KEY, cborEncode({ nextId: this.#nextId }));
		this.#changed();
		return event.id;
	}

	#sortedOneShots(): ScheduledEvent[] {
		return [...this.#oneShots.values()].sort((a, b) => a.at - b.at || Number(a.id) - Number(b.id));
	}

	#cancel(id: number): boolean {
		if (!this.#oneShots.delete(id)) return false;
		this.#depths.delete(id);
		this.#writes.delete(oneShotKey(id));
		this.#changed();
		return true;
	}

	// ---- Recurring jobs --------------------------------------------------------

	#checkJob(name: string, maxHistory: number | undefined): number {
		if (typeof name !== "string" || name === "" || utf8Length(name) > 256) {
			throw scheduleErrors.invalid("a job name must be 1-256 bytes of text");
		}
		// A lone surrogate has no UTF-8 form: two names differing only there shared one
		// stored key, and the name read back after a restart was another (a review).
		if (!name.isWellFormed())
			throw scheduleErrors.invalid("a job name must not hold a lone surrogate");
		if (!this.#jobs.has(name)) this.#checkLimit();
		const history = maxHistory ?? DEFAULT_MAX_HISTORY;
		if (!Number.isInteger(history) || history < 0 || history > MAX_HISTORY) {
			throw scheduleErrors.invalid(`maxHistory must be an integer from 0 to ${MAX_HISTORY}`);
		}
		return history;
	}

	#storeJob(job: StoredJob): CronJob {
		this.#ownJobs().set(job.name, job);
		this.#writes.put(jobKey(job.name), cborEncode(job));
		this.#changed();
		return publicJob(job) as CronJob;
	}

	#setJob(options: CronSetOptions): CronJob {
		const maxHistory = this.#checkJob(options.name, options.maxHistory);
		const args = checkScheduledCall(this.#core, options.action, options.args ?? []);
		checkTimezone(options.timezone);
		const nextAt = nextCronRun(options.expression, options.timezone, this.#core.clock.now());
		// croner takes an ISO date as a pattern that fires once: a job is for repeated runs
		// (one time is `c.schedule.at`), and its next run is looked up each time it fires.
		if (nextCronRun(options.expression, options.timezone, nextAt, true) === undefined)
			throw scheduleErrors.invalidCron(
				options.expression,
				"it fires only once (use c.schedule.at for one time)",
			);
		const previous = this.#jobs.get(options.name);
		return this.#storeJob({
			name: options.name,
			kind: "cron",
			expression: options.expression,
			...(options.timezone ? { timezone: options.timezone } : {}),
			action: options.action,
			args,
			nextAt,
			createdAt: previous?.createdAt ?? this.#core.clock.now(),
			maxHistory,
			runs: (previous?.runs ?? []).slice(0, maxHistory),
		});
	}

	#everyJob(options: CronEveryOptions): CronJob {
		const maxHistory = this.#checkJob(options.name, options.maxHistory);
		const args = checkScheduledCall(this.#core, options.action, options.args ?? []);
		if (!Number.isFinite(options.interval) || options.interval < MIN_INTERVAL_MS) {
			throw scheduleErrors.invalid(`the interval must be at least ${MIN_INTERVAL_MS} ms`);
		}
		const previous = this.#jobs.get(options.name);
		return this.#storeJob({
			name: options.name,
			kind: "every",
			interval: options.interval,
			action: options.action,
			args,
			nextAt: this.#core.clock.now() + options.interval,
			createdAt: previous?.createdAt ?? this.#core.clock.now(),
			maxHistory,
			runs: (previous?.runs ?? []).slice(0, maxHistory),
		});
	}

	#deleteJob(name: string): boolean {
		if (!this.#jobs.delete(name)) return false;
		this.#writes.delete(jobKey(name));
		this.#changed();
		return true;
	}

	// ---- Firing -------------------------------------------------------------------

	#arm(): void {
		if (this.#closed) return;
		if (this.#timer !== undefined) this.#core.clock.clearTimeout(this.#timer);
		this.#timer = undefined;
		if (this.#firing) return;
		const earliest = this.earliest();
		if (earliest === undefined) return;
		const at = Math.max(earliest, this.#retryAt);
		const delay = at - this.#core.clock.now();
		if (delay <= 0) {
			// Already due (e.g. it came due while the actor slept): fire right away.
			this.#immediate ??= setImmediate(() => {
				this.#immediate = undefined;
				void this.#fireDue().catch((error: unknown) => this.#fireFailed(error));
			});
			return;
		}
		this.#timer = this.#core.clock.setTimeout(() => {
			this.#timer = undefined;
			void this.#fireDue().catch((error: unknown) => this.#fireFailed(error));
		}, delay);
	}

	/**
	 * The timer loop itself threw (a bug, or a failed write): logged, and due entries wait a
	 * second before they are tried again, instead of a loop of immediate retries.
	 */
	#fireFailed(error: unknown): void {
		this.#core.log.error("timers failed to fire", { error });
		this.#retryAt = this.#core.clock.now() + FIRE_RETRY_MS;
		// The loop's `finally` armed it already, maybe for right away.
		if (this.#immediate !== undefined) clearImmediate(this.#immediate);
		this.#immediate = undefined;
		this.#arm();
	}

	#nextDue(
		now: number,
	):
		| { fire: FireInfo; action: string; args: unknown[]; finish: (run: CronRun) => void }
		| undefined {
		let oneShot: ScheduledEvent | undefined;
		for (const event of this.#oneShots.values()) {
			if (
				event.at <= now &&
				(oneShot === undefined ||
					event.at < oneShot.at ||
					(event.at === oneShot.at && Number(event.id) < Number(oneShot.id)))
			) {
				oneShot = event;
			}
		}
		let job: StoredJob | undefined;
		for (const candidate of this.#jobs.values()) {
			if (candidate.nextAt <= now && (job === undefined || candidate.nextAt < job.nextAt))
				job = candidate;
		}
		if (job !== undefined && (oneShot === undefined || job.nextAt < oneShot.at)) {
			const due = job;
			const scheduledAt = due.nextAt;
			// Move the job on before running it, so a slow run is not fired twice. A job with no
			// run after this one (stored before such expressions were refused) runs a last time.
			const nextAt = followingRun(due, now);
			if (nextAt === undefined) this.#deleteJob(due.name);
			else this.#storeJob({ ...due, nextAt });
			return {
				fire: { kind: due.kind, id: due.name, scheduledAt, firedAt: now },
				action: due.action,
				args: due.args,
				finish: (run) => {
					const current = this.#jobs.get(due.name);
					if (current === undefined || current.maxHistory === 0) return;
					this.#storeJob({ ...current, runs: [run, ...current.runs].slice(0, current.maxHistory) });
				},
			};
		}
		if (oneShot === undefined) return undefined;
		const event = oneShot;
		return {
			fire: this.#depths.firing(Number(event.id), {
				kind: "schedule",
				id: event.id,
				scheduledAt: event.at,
				firedAt: now,
			}),
			action: event.action,
			args: event.args,
			// Removed with the action's writes, so a crash before the commit fires it again.
			finish: () => {
				this.#cancel(Number(event.id));
			},
		};
	}

	async #fireDue(): Promise<void> {
		if (this.#firing || this.#closed) return;
		this.#firing = true;
		try {
			for (;;) {
				if (this.#closed || !this.#core.isAwake()) break;
				const now = this.#core.clock.now();
				const due = this.#nextDue(now);
				if (due === undefined) break;
				const started = this.#core.clock.now();
				this.#core.metrics.alarmFired(due.fire.scheduledAt, due.fire.firedAt);
				let finished = false;
				// Runs when the action settles, before its turn commits: the timer's
				// removal (or the job's run record) is saved with the action's writes.
				const finish = (error: unknown) => {
					if (finished) return;
					finished = true;
					due.finish({
						scheduledAt: due.fire.scheduledAt,
						firedAt: due.fire.firedAt,
						ok: error === undefined,
						...(error === undefined ? {} : { error: errorText(error) }),
						durationMs: this.#core.clock.now() - started,
					});
				};
				try {
					// Its own trace: the timer may fire long after the request that armed it ended.
					await outsideTrace(() =>
						// Its own request id, as a request's, for the lines its `c.log` writes.
						this.#core.invoke(
							due.action,
							due.args,
							this.#owner.internalConn(),
							due.fire,
							finish,
							newRequestId(),
						),
					);
				} catch (error) {
					// Errors before the action ran (e.g. it no longer exists) end the timer too.
					finish(error);
					const shown = this.#core.publicError(error, `scheduled action '${due.action}'`);
					this.#core.log.warn("scheduled action failed", {
						action: due.action,
						error: shown.message,
					});
				}
				this.#core.afterTurn();
			}
		} finally {
			this.#firing = false;
			this.#arm();
		}
	}
}
