import type { CallerRequest } from "./context.js";

/** Per-actor options. Defaults match RivetKit where it has one. */
export interface ActorOptions {
	/** Idle time before an actor with no connections and no work sleeps (ms). Default 30 000. */
	sleepTimeout?: number | undefined;
	/** How long in-flight work may take to finish when the actor sleeps or is destroyed (ms). Default 15 000. */
	sleepGracePeriod?: number | undefined;
	/** Longest an action may run before the caller gets `actor/action_timed_out` (ms). Default 60 000. */
	actionTimeout?: number | undefined;
	/** Limit for each of `onBeforeConnect`, `createConnState` and `onConnect` (ms). Default 5 000. */
	connectTimeout?: number | undefined;
	/** Limit for waking: `createState`, `onCreate`, `createVars` and `onWake` together (ms). Default 30 000. */
	wakeTimeout?: number | undefined;
	/** Never sleep when idle. Default false. */
	noSleep?: boolean | undefined;
	/**
	 * Realtime connections hibernate: an actor whose only activity is open
	 * connections sleeps after `sleepTimeout`, their sockets stay open, and a
	 * message on one wakes it. Their id, params, conn state and subscriptions
	 * are stored with the actor's commits (so conn state must be storable
	 * data). False: open connections keep the actor awake and their state
	 * lives in memory only. Default true.
	 */
	hibernateConnections?: boolean | undefined;
	/**
	 * Raw WebSockets (`onWebSocket`) hibernate too: `true`, or a function of
	 * the upgrade request. A hibernating raw socket stays open while the actor
	 * sleeps; a message on it wakes the actor, `onWebSocket` runs again for it
	 * (`websocket.restored` is true, `c.conn.state` kept) and then gets the
	 * message. Its request (headers included) is stored with the actor so
	 * `c.request` is there on the rerun. Default false: open raw sockets keep
	 * the actor awake.
	 */
	canHibernateWebSocket?: boolean | ((request: CallerRequest) => boolean) | undefined;
	/**
	 * How long a stored connection whose socket was lost (a restart, a crash)
	 * waits for its client to resume it once the actor wakes, before
	 * `onDisconnect` runs for it (ms). Default 30 000.
	 */
	connectionResumeTimeout?: number | undefined;
	/**
	 * `strict` (default): replies and events leave only after the writes before
	 * them are durable. `relaxed`: replies leave at once and writes are saved
	 * every `stateSaveInterval` ms; a crash may lose the last interval.
	 */
	durability?: "strict" | "relaxed" | undefined;
	/** Save interval for `durability: "relaxed"` (ms). Default 1 000. */
	stateSaveInterval?: number | undefined;
	/** Most messages stored in the actor's queues. Default 1 000. */
	maxQueueSize?: number | undefined;
	/** Largest queue message body (encoded bytes). Default 64 KiB. */
	maxQueueMessageSize?: number | undefined;
	/**
	 * Deliveries of a message received with `completable: true` before it is
	 * set aside as a dead letter instead of being delivered again (its consumer
	 * failed, or the server crashed, that many times). Default 5.
	 */
	maxQueueDeliveries?: number | undefined;
	/** Dead letters kept per actor; the oldest go first. Default 100. */
	maxDeadLetters?: number | undefined;
	/** Most pending timers plus recurring jobs. Default 1 000. */
	maxSchedules?: number | undefined;
	/** Largest arguments of one timer or recurring job (encoded bytes). Default 64 KiB. */
	maxScheduleArgsSize?: number | undefined;
	/**
	 * Largest SQLite database (`db`), in bytes. The database of an awake actor
	 * is held in memory. Default 128 MiB.
	 */
	maxDatabaseSize?: number | undefined;
	/** Longest a SQL statement may run before it is interrupted (ms). Default 10 000. */
	dbStatementTimeout?: number | undefined;
	/** Longest `c.db.transaction()` may stay open before it is rolled back (ms). Default 30 000. */
	dbTransactionTimeout?: number | undefined;
	/**
	 * Commits that changed the state kept for the inspector's time travel (what
	 * ran them, when, the state they left), stored with each commit. Default 0:
	 * off, at no cost. The registry's `inspector.turnHistory` sets the default.
	 */
	turnHistory?: number | undefined;
}

/** Resolved options with every default filled in. */
export type ResolvedActorOptions = {
	[K in keyof ActorOptions]-?: Exclude<ActorOptions[K], undefined>;
};

/** The defaults for {@link ActorOptions}. */
export const DEFAULT_ACTOR_OPTIONS: Readonly<ResolvedActorOptions> = Object.freeze({
	sleepTimeout: 30_000,
	sleepGracePeriod: 15_000,
	actionTimeout: 60_000,
	connectTimeout: 5_000,
	wakeTimeout: 30_000,
	noSleep: false,
	hibernateConnections: true,
	connectionResumeTimeout: 30_000,
	canHibernateWebSocket: false,
	durability: "strict",
	stateSaveInterval: 1_000,
	maxQueueSize: 1_000,
	maxQueueMessageSize: 64 * 1024,
	maxQueueDeliveries: 5,
	maxDeadLetters: 100,
	maxSchedules: 1_000,
	maxScheduleArgsSize: 64 * 1024,
	maxDatabaseSize: 128 * 1024 * 1024,
	dbStatementTimeout: 10_000,
	dbTransactionTimeout: 30_000,
	turnHistory: 0,
});

/** Durations (ms) that must be above 0: at 0 every call, connect, wake or statement would fail. */
const POSITIVE_TIMES = [
	"actionTimeout",
	"connectTimeout",
	"wakeTimeout",
	"stateSaveInterval",
	"dbStatementTimeout",
	"dbTransactionTimeout",
] as const;
/** Durations (ms) where 0 means "at once". */
const TIMES = ["sleepTimeout", "sleepGracePeriod", "connectionResumeTimeout"] as const;
/** Counts and sizes, whole numbers from the minimum given. */
const COUNTS = {
	maxQueueSize: 0,
	maxQueueMessageSize: 1,
	maxQueueDeliveries: 1,
	maxDeadLetters: 0,
	maxSchedules: 0,
	maxScheduleArgsSize: 1,
	maxDatabaseSize: 1,
	turnHistory: 0,
} as const;

/**
 * Throws for an option of the wrong kind or out of range, naming it, where the
 * actor is defined. An option read from the environment
 * (`Number(process.env.SLEEP_MS)`) can be NaN or negative: such an actor slept
 * right after every call, with no word (a docs walkthrough, 2026-11-28).
 * Infinity is taken for every time and count ("never", "no limit");
 * `undefined` is the default.
 */
export function checkActorOptions(options: ActorOptions | undefined): void {
	if (options === undefined) return;
	const given = options as Record<string, unknown>;
	const fail = (name: string, rule: string): never => {
		const value = given[name];
		const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
		throw new Error(`options.${name} must be ${rule} (got ${shown.slice(0, 40)})`);
	};
	const number = (name: string, min: number, above: boolean, whole: boolean, rule: string) => {
		const value = given[name];
		if (value === undefined) return;
		if (typeof value !== "number" || Number.isNaN(value)) fail(name, rule);
		const n = value as number;
		if (above ? !(n > min) : !(n >= min)) fail(name, rule);
		if (whole && Number.isFinite(n) && !Number.isInteger(n)) fail(name, rule);
	};
	for (const name of POSITIVE_TIMES) number(name, 0, true, false, "a number of ms above 0");
	for (const name of TIMES) number(name, 0, false, false, "a number of ms, 0 or more");
	for (const [name, min] of Object.entries(COUNTS))
		number(name, min, false, true, `a whole number, ${min} or more`);
	for (const name of ["noSleep", "hibernateConnections"])
		if (given[name] !== undefined && typeof given[name] !== "boolean") fail(name, "true or false");
	if (
		given.durability !== undefined &&
		given.durability !== "strict" &&
		given.durability !== "relaxed"
	)
		fail("durability", '"strict" or "relaxed"');
	const hibernate = given.canHibernateWebSocket;
	if (hibernate !== undefined && typeof hibernate !== "boolean" && typeof hibernate !== "function")
		fail("canHibernateWebSocket", "true, false or a function of the request");
}

/**
 * Option names `options` has that Tenon does not know, each with the known name it is
 * closest to (at most two edits away), if any: a misspelt `sleepTimout` was ignored with no
 * word (a walkthrough, 2026-11-28). Told, not refused: an actor ported from RivetKit may carry
 * options of its own that Tenon has no use for.
 */
export function unknownActorOptions(
	options: ActorOptions | undefined,
): { name: string; closest?: string }[] {
	if (options === undefined) return [];
	const known = Object.keys(DEFAULT_ACTOR_OPTIONS);
	return Object.keys(options)
		.filter((name) => !Object.hasOwn(DEFAULT_ACTOR_OPTIONS, name))
		.map((name) => {
			const closest = known.find((candidate) => editDistance(name, candidate) <= 2);
			return closest === undefined ? { name } : { name, closest };
		});
}

/** Levenshtein distance (names are short). */
function editDistance(a: string, b: string): number {
	let row = Array.from({ length: b.length + 1 }, (_, i) => i);
	for (let i = 1; i <= a.length; i++) {
		const next = [i];
		for (let j = 1; j <= b.length; j++)
			next[j] = Math.min(
				(row[j] as number) + 1,
				(next[j - 1] as number) + 1,
				(row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
			);
		row = next;
	}
	return row[b.length] as number;
}
