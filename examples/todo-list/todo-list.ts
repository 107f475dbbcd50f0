import { actor, UserError } from "tenon";
import { db } from "tenon/db";
import { z } from "zod";
import { requireOwner, type TokenParams } from "../auth/tokens.js";
import { isBlank, withoutHidden } from "../validation/visible-text.js";

/** A todo as the list returns it. */
export interface Todo {
	id: number;
	title: string;
	done: boolean;
	createdAt: number;
}

interface TodoRow {
	id: number;
	title: string;
	done: number;
	created_at: number;
}

const toTodo = (row: TodoRow): Todo => ({
	id: row.id,
	title: row.title,
	done: row.done === 1,
	createdAt: row.created_at,
});

const todoId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The most todos one list holds. */
export const MAX_TODOS = 500;

/**
 * One todo list per user (the actor key is the user id; only that user,
 * proven by a signed token, may create or open it), kept in the actor's own
 * SQLite database with raw SQL (parameters, never string building). Every
 * change is durable before the action returns, and survives sleep, restarts
 * and crashes. A list holds at most MAX_TODOS todos.
 */
export const todoList = actor({
	onBeforeCreate: (c) => {
		requireOwner(c.key, c.params);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireOwner(c.key, params);
	},
	actionInputSchemas: {
		add: z.tuple([withoutHidden()]),
		toggle: z.tuple([todoId]),
		remove: z.tuple([todoId]),
		list: z.tuple([z.enum(["all", "open", "done"]).optional()]),
	},
	db: db({
		onMigrate: async (db) => {
			await db.execute(`
				CREATE TABLE IF NOT EXISTS todos (
					id INTEGER PRIMARY KEY AUTOINCREMENT,
					title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
					done INTEGER NOT NULL DEFAULT 0,
					created_at INTEGER NOT NULL
				);
				CREATE INDEX IF NOT EXISTS todos_by_done ON todos (done, id);
			`);
		},
	}),
	actions: {
		add: async (c, title: string): Promise<Todo> => {
			const text = title.trim();
			if (isBlank(text) || text.length > 200) {
				throw new UserError("a todo needs a title of 1 to 200 characters", { code: "bad_title" });
			}
			// The count and the insert in one statement: adds that interleave at an
			// `await` cannot both see room for one more.
			const [row] = await c.db.execute<TodoRow>(
				`INSERT INTO todos (title, created_at)
				 SELECT ?, ? WHERE (SELECT count(*) FROM todos) < ? RETURNING *`,
				text,
				Date.now(),
				MAX_TODOS,
			);
			if (!row)
				throw new UserError(`a list holds at most ${MAX_TODOS} todos`, { code: "list_full" });
			return toTodo(row);
		},
		toggle: async (c, id: number): Promise<Todo> => {
			const [row] = await c.db.execute<TodoRow>(
				"UPDATE todos SET done = 1 - done WHERE id = ? RETURNING *",
				id,
			);
			if (!row) throw new UserError(`no todo ${id}`, { code: "not_found" });
			return toTodo(row);
		},
		remove: async (c, id: number): Promise<boolean> => {
			const rows = await c.db.execute("DELETE FROM todos WHERE id = ? RETURNING id", id);
			return rows.length > 0;
		},
		/** Marks every open todo done, atomically. Returns how many changed. */
		completeAll: (c) =>
			c.db.transaction(async (tx) => {
				const open = await tx.execute<{ n: number }>(
					"SELECT count(*) AS n FROM todos WHERE done = 0",
				);
				await tx.execute("UPDATE todos SET done = 1 WHERE done = 0");
				return open[0]?.n ?? 0;
			}),
		list: async (c, filter: "all" | "open" | "done" = "all"): Promise<Todo[]> => {
			const where =
				filter === "open" ? "WHERE done = 0" : filter === "done" ? "WHERE done = 1" : "";
			const rows = await c.db.execute<TodoRow>(`SELECT * FROM todos ${where} ORDER BY id`);
			return rows.map(toTodo);
		},
		stats: async (c) => {
			const [row] = await c.db.execute<{ total: number; done: number }>(
				"SELECT count(*) AS total, coalesce(sum(done), 0) AS done FROM todos",
			);
			return { total: row?.total ?? 0, done: row?.done ?? 0 };
		},
	},
});
