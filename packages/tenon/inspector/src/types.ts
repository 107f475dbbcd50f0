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
}

export interface QueueMessage {
	id: string;
	name: string;
	body: unknown;
	createdAt: number;
	deliveries: number;
	deadAt?: number;
	reason?: string;
}

export interface KvEntry {
	key: string;
	keyEncoding: "utf8" | "hex";
	value: string;
	valueEncoding: "utf8" | "hex";
	size: number;
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

export type TurnOrigin =
	| { kind: "action"; name: string; connId: string }
	| { kind: "timer"; name: string; timer: string; id: string }
	| { kind: "queue" }
	| { kind: "workflow"; step?: string }
	| { kind: "inspector"; operation: "edit" | "restore"; who: string; fromSeq?: number }
	| { kind: "background" };

export interface TurnRecord {
	seq: number;
	at: number;
	origins: TurnOrigin[];
	state?: unknown;
	stateOmitted?: true;
}

export interface WorkflowEntry {
	name: string;
	kind: string;
	status?: string;
	attempts?: number;
	error?: unknown;
	output?: unknown;
	[field: string]: unknown;
}
