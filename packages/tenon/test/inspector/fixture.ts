// A registry for the inspector's tests: a counter with time travel on, a
// notes actor with a SQLite database and KV, and a workflow.
import { db } from "../../src/db/index.js";
import { actor, queue, setup } from "../../src/index.js";
import { workflow } from "../../src/workflow/index.js";

export const ADMIN_TOKEN = "admin-token-0123456789";
export const INSPECTOR_TOKEN = "inspector-token-0123456789";

const counter = actor({
	state: { count: 0, label: "new" },
	options: { turnHistory: 50 },
	actions: {
		increment: (c, by = 1) => {
			c.state.count += by;
			return c.state.count;
		},
		rename: (c, label: string) => {
			c.state.label = label;
			return c.state.label;
		},
		read: (c) => c.state.count,
		caller: (c) => ({
			authorization: c.request?.headers.get("authorization") ?? null,
			token: c.request?.token ?? null,
		}),
		fail: () => {
			throw new Error("this action always fails");
		},
	},
});

const notes = actor({
	state: { added: 0 },
	db: db({
		onMigrate: (database) =>
			database.execute(
				"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)",
			),
	}),
	actions: {
		add: async (c, body: string) => {
			await c.db.execute("INSERT INTO notes (body) VALUES (?)", body);
			await c.kv.put(`note:${++c.state.added}`, body);
			return c.state.added;
		},
	},
});

const onboarding = actor({
	state: { steps: [] as string[] },
	options: { turnHistory: 10 },
	actions: { steps: (c) => c.state.steps },
	run: workflow(async (ctx) => {
		await ctx.step("create-account", (c) => {
			c.state.steps.push("create-account");
		});
		await ctx.step("send-welcome", (c) => {
			c.state.steps.push("send-welcome");
			return { sent: true };
		});
		await ctx.sleep("wait-a-day", 24 * 60 * 60 * 1000);
	}),
});

/** Messages wait in its queue: nothing consumes them. */
const mailbox = actor({
	state: {},
	queues: { tasks: queue<{ title: string; priority: number }>() },
	createConnState: (_c, params: { user: string }) => ({ user: params.user, seen: 0 }),
	actions: {
		look: (c) => {
			c.conn.state.seen++;
			return c.conn.state.seen;
		},
	},
});

export const registry = setup({
	use: { counter, notes, onboarding, mailbox },
	admin: { token: ADMIN_TOKEN },
	inspector: { token: INSPECTOR_TOKEN },
	logLevel: "silent",
});
