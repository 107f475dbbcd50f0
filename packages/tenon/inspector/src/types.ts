// The shapes the inspector API answers with (see docs/inspector.md).

export interface ActorType {
	name: string;
	turnHistory: number;
	actions: string[];
}

export interface Session {
	role: "admin" | "inspector";
	actorNames: ActorType[];
}

export interface ActorSummary {
	actorId: string;
	name: string;
	key: string[];
	createdAt: number;
	status: "awake" | "sleeping";
	hibernatedConnections: number;
	connections: number;
}

export interface StateView {
	initialized: boolean;
	state: unknown;
	status?: "awake" | "sleeping";
}

export interface Connection {
	id: string;
	kind: "connect" | "raw";
	status: "connected" | "hibernated" | "detached";
	params: unknown;
	state: unknown;
	subscriptions: string[];
	createdAt: number;
	url?: string;
	/** The state shown is a preview: the stored one is larger. */
	stateCut?: boolean;
}

export interface QueueMessage {
	id: string;
	name: string;
	body: unknown;
	createdAt: number;
	deliveries: number;
	deadAt?: number;
	reason?: string;
	/** The body shown is a preview: the stored one is larger. */
	cut?: boolean;
}

export interface KvEntry {
	key: string;
	keyEncoding: "utf8" | "hex";
	value: string;
	valueEncoding: "utf8" | "hex";
	size: number;
	/** The value shows only its first 4 KiB. */
	truncated?: true;
}

export interface DbTable {
	name: string;
	type: "table" | "view";
	sql: string;
	columns: { name: string; type: string; notNull: boolean; primaryKey: boolean }[];
}

export interface RowsPage {
	columns: string[];
	rows: unknown[][];
	total?: number;
	truncated?: boolean;
	elapsedMs?: number;
}

// The turn history's records, as the runtime writes them (type-only: nothing of
// the server is bundled into the page).
export type { TurnOrigin, TurnRecord, TurnSummary } from "../../src/runtime/turn-history.js";

export interface WorkflowEntry {
	name: string;
	kind: string;
	status?: string;
	attempts?: number;
	error?: unknown;
	output?: unknown;
	[field: string]: unknown;
}

/** A pending one-shot timer (`c.schedule.after/at`); `args` is a bounded preview. */
export interface TimerView {
	id: string;
	at: number;
	action: string;
	args: unknown[];
	createdAt: number;
}

/** A recurring job (`c.cron.set/every`) with its newest runs. */
export interface JobView {
	name: string;
	kind: "cron" | "every";
	expression?: string;
	timezone?: string;
	interval?: number;
	action: string;
	args: unknown[];
	nextAt: number;
	createdAt: number;
	lastRuns: { scheduledAt: number; firedAt: number; ok: boolean; error?: string }[];
}

/** The actor's timers and jobs, with the server's clock when read. */
export interface ScheduleView {
	now: number;
	timers: TimerView[];
	jobs: JobView[];
}

/** A broadcast event, recorded once sent; `args` is a bounded preview. */
export interface SentEvent {
	seq: number;
	name: string;
	args: unknown[];
	truncated: boolean;
	recipients: number;
	sentAt: number;
}
