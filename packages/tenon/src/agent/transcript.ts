import type { SqlDatabase } from "../db/sql-database.js";
import type { ChatMessage } from "./model.js";
import type {
	AgentMessage,
	AgentMessageStatus,
	AgentRole,
	AgentToolCall,
	AgentUsage,
} from "./types.js";

/** The id of a turn's prompt in the transcript. */
export function promptMessageId(turnId: string): string {
	return `${turnId}.prompt`;
}

/** Bytes a message's row takes beside its text (ids, names, numbers), as {@link Transcript.prune} counts. */
const ROW_OVERHEAD = 128;

/** A message to add (`seq` is given by the database). */
export type NewAgentMessage = Omit<AgentMessage, "seq">;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenon_agent_messages (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	turn_id TEXT NOT NULL,
	role TEXT NOT NULL,
	content TEXT NOT NULL,
	status TEXT NOT NULL,
	author TEXT,
	tool_calls TEXT,
	tool_call_id TEXT,
	tool_name TEXT,
	created_at INTEGER NOT NULL,
	usage TEXT
)`;

interface MessageRow {
	seq: number;
	id: string;
	turn_id: string;
	role: AgentRole;
	content: string;
	status: AgentMessageStatus;
	author: string | null;
	tool_calls: string | null;
	tool_call_id: string | null;
	tool_name: string | null;
	created_at: number;
	/** JSON of an {@link AgentUsage}; the column is missing from a row read before it existed. */
	usage?: string | null;
}

/** Creates the transcript's table (idempotent; runs on every wake). */
export async function migrateTranscript(db: SqlDatabase): Promise<void> {
	await db.execute(SCHEMA);
	// Transcripts made before answers kept their usage (2026-11-28) get the column.
	const columns = await db.execute<{ name: string }>("PRAGMA table_info(tenon_agent_messages)");
	if (!columns.some((column) => column.name === "usage"))
		await db.execute("ALTER TABLE tenon_agent_messages ADD COLUMN usage TEXT");
}

/**
 * The transcript of a conversation in the actor's SQLite. Writes commit with
 * the actor's turn (so with the workflow step that made them). Adding a
 * message whose id exists replaces nothing: a step that runs again after a
 * crash finds its message already there.
 */
export class Transcript {
	constructor(private readonly db: SqlDatabase) {}

	/** Adds a message unless one with its id exists; returns the stored message. */
	async add(message: NewAgentMessage): Promise<AgentMessage> {
		await this.db.execute(
			`INSERT OR IGNORE INTO tenon_agent_messages
				(id, turn_id, role, content, status, author, tool_calls, tool_call_id, tool_name, created_at, usage)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			message.id,
			message.turnId,
			message.role,
			message.content,
			message.status,
			message.author,
			message.toolCalls === null ? null : JSON.stringify(message.toolCalls),
			message.toolCallId,
			message.toolName,
			message.createdAt,
			message.usage === undefined ? null : JSON.stringify(message.usage),
		);
		const [row] = await this.db.execute<MessageRow>(
			"SELECT * FROM tenon_agent_messages WHERE id = ?",
			message.id,
		);
		if (row === undefined) throw new Error(`message ${message.id} was not stored`);
		return fromRow(row);
	}

	/**
	 * Up to `limit` messages before `before` (a seq; default: the newest),
	 * oldest first, and at most `maxBytes` of them as JSON (the newest one
	 * always): a page is one reply, which must fit what a connection carries.
	 * A caller pages on with `before` set to the first message's seq.
	 */
	async page(limit: number, before?: number, maxBytes = Infinity): Promise<AgentMessage[]> {
		const rows = await this.db.execute<MessageRow>(
			`SELECT * FROM tenon_agent_messages WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
			before ?? Number.MAX_SAFE_INTEGER,
			limit,
		);
		const page: AgentMessage[] = [];
		let bytes = 0;
		for (const row of rows) {
			const message = fromRow(row);
			if (maxBytes !== Infinity) {
				bytes += Buffer.byteLength(JSON.stringify(message));
				if (bytes > maxBytes && page.length > 0) break;
			}
			page.push(message);
		}
		return page.reverse();
	}

	/**
	 * Deletes every message there is now; returns how many and the last one's
	 * seq (0: none). A message added meanwhile (a step that ran between the
	 * two statements) is newer, and stays.
	 */
	async clear(): Promise<{ deleted: number; through: number }> {
		const [row] = await this.db.execute<{ n: number; last: number | null }>(
			"SELECT count(*) AS n, max(seq) AS last FROM tenon_agent_messages",
		);
		const through = row?.last ?? 0;
		await this.db.execute("DELETE FROM tenon_agent_messages WHERE seq <= ?", through);
		return { deleted: row?.n ?? 0, through };
	}

	/** The newest prompt (a user's message), if any. */
	async lastPrompt(): Promise<AgentMessage | undefined> {
		const [row] = await this.db.execute<MessageRow>(
			"SELECT * FROM tenon_agent_messages WHERE role = 'user' ORDER BY seq DESC LIMIT 1",
		);
		return row === undefined ? undefined : fromRow(row);
	}

	/**
	 * Deletes the answers after seq `after` (the last prompt's): every message after it but the
	 * notes server code added (`addAssistantMessage`, which are not the model's). Returns the
	 * last one's seq (`after`: none) and their turns.
	 */
	async removeAnswers(after: number): Promise<{ through: number; turnIds: string[] }> {
		const answers = "seq > ? AND role != 'user' AND substr(id, -5) != '.note'";
		const turns = await this.db.execute<{ turn_id: string; last: number }>(
			`SELECT turn_id, max(seq) AS last FROM tenon_agent_messages WHERE ${answers} GROUP BY turn_id`,
			after,
		);
		await this.db.execute(`DELETE FROM tenon_agent_messages WHERE ${answers}`, after);
		return {
			through: Math.max(after, ...turns.map((turn) => turn.last)),
			turnIds: turns.map((turn) => turn.turn_id),
		};
	}

	/** The messages of one turn, oldest first. */
	async turn(turnId: string): Promise<AgentMessage[]> {
		const rows = await this.db.execute<MessageRow>(
			"SELECT * FROM tenon_agent_messages WHERE turn_id = ? ORDER BY seq",
			turnId,
		);
		return rows.map(fromRow);
	}

	/**
	 * When the actor's database uses more than `max` bytes, deletes the
	 * oldest messages until the transcript's text holds at most half of it.
	 * Says how many went, the bytes used, and whether it read the transcript
	 * (`scannedAt`: the bytes used when it last did and found nothing to
	 * delete). A conversation whose transcript filled its
	 * database (`maxDatabaseSize`) failed every turn after, and its workflow
	 * for good: no prompt ran again (a docs walkthrough's question, checked
	 * 2026-11-28). Cheap when there is room: three `PRAGMA`s.
	 */
	async prune(
		max: number,
		scannedAt = 0,
	): Promise<{ deleted: number; used: number; scanned: boolean }> {
		if (!Number.isFinite(max)) return { deleted: 0, used: 0, scanned: false };
		const pragma = async (name: string) =>
			Number(Object.values((await this.db.execute(`PRAGMA ${name}`))[0] ?? {})[0] ?? 0);
		const used =
			((await pragma("page_count")) - (await pragma("freelist_count"))) *
			(await pragma("page_size"));
		// Scanned lately with nothing to delete (the rest of the database is the app's tables):
		// not again until it grew by an eighth (the scan reads the whole transcript's text).
		if (used <= max || (scannedAt > 0 && used - scannedAt < max / 8))
			return { deleted: 0, used, scanned: false };
		// Newest first, summed: the first message past half the budget and all before it go.
		const [oldestKept] = await this.db.execute<{ seq: number }>(
			`SELECT seq FROM (
				SELECT seq, sum(length(CAST(content AS BLOB)) + coalesce(length(CAST(tool_calls AS BLOB)), 0) + ${ROW_OVERHEAD})
					OVER (ORDER BY seq DESC) AS newer
				FROM tenon_agent_messages
			) WHERE newer > ? ORDER BY seq DESC LIMIT 1`,
			Math.floor(max / 2),
		);
		if (oldestKept === undefined) return { deleted: 0, used, scanned: true };
		const [gone] = await this.db.execute<{ n: number }>(
			"SELECT count(*) AS n FROM tenon_agent_messages WHERE seq <= ?",
			oldestKept.seq,
		);
		await this.db.execute("DELETE FROM tenon_agent_messages WHERE seq <= ?", oldestKept.seq);
		return { deleted: gone?.n ?? 0, used, scanned: true };
	}

	async count(): Promise<number> {
		const [row] = await this.db.execute<{ n: number }>(
			"SELECT count(*) AS n FROM tenon_agent_messages",
		);
		return row?.n ?? 0;
	}
}

function fromRow(row: MessageRow): AgentMessage {
	return {
		seq: row.seq,
		id: row.id,
		turnId: row.turn_id,
		role: row.role,
		content: row.content,
		status: row.status,
		author: row.author,
		toolCalls: row.tool_calls === null ? null : (JSON.parse(row.tool_calls) as AgentToolCall[]),
		toolCallId: row.tool_call_id,
		toolName: row.tool_name,
		createdAt: row.created_at,
		...(typeof row.usage === "string" ? { usage: JSON.parse(row.usage) as AgentUsage } : {}),
	};
}

/**
 * The transcript as the model reads it, repaired so that it is always a valid
 * chat: a model API refuses a history where an assistant's tool call has no
 * result, or a tool result answers no call (what a crash, a stop or a cut
 * history leaves behind). Calls without a result get one saying the call did
 * not complete; results without their call are left out; a failed assistant
 * message (an error the user saw) is not shown to the model.
 */
export function modelHistory(messages: readonly AgentMessage[]): ChatMessage[] {
	const out: ChatMessage[] = [];
	// Calls of the last assistant message still waiting for their results.
	let open = new Map<string, string>();
	const closeOpen = (): void => {
		for (const [id, name] of open)
			out.push({
				role: "tool",
				toolCallId: id,
				content: JSON.stringify({ error: `the call of ${name} did not complete` }),
			});
		open = new Map();
	};
	for (const message of messages) {
		if (message.role === "tool") {
			if (message.toolCallId === null || !open.has(message.toolCallId)) continue;
			open.delete(message.toolCallId);
			out.push({ role: "tool", toolCallId: message.toolCallId, content: message.content });
			continue;
		}
		closeOpen();
		if (message.role === "user") {
			out.push({ role: "user", content: message.content });
			continue;
		}
		if (message.status === "failed") continue;
		const calls = message.toolCalls ?? [];
		out.push(
			calls.length === 0
				? { role: "assistant", content: message.content }
				: {
						role: "assistant",
						content: message.content,
						toolCalls: calls.map((call) => ({ ...call })),
					},
		);
		for (const call of calls) open.set(call.id, call.name);
	}
	closeOpen();
	// A history cut by a page starts wherever it starts: drop leading tool results.
	while (out[0]?.role === "tool") out.shift();
	return out;
}
