// A registry for the inspector's tests: a counter with time travel on, a
// notes actor with a SQLite database and KV, and a workflow.
import { expect } from "vitest";
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

/** Timers, jobs and events: what the Schedules and Events tabs show. */
const planner = actor({
	state: { fired: [] as string[] },
	actions: {
		remind: (c, what: string, inMs: number) => c.schedule.after(inMs, "fire", what),
		remindHuge: (c) => c.schedule.after(3_600_000, "fire", "x".repeat(60_000)),
		nightly: (c) =>
			c.cron.set({
				name: "nightly-report",
				expression: "0 3 * * *",
				action: "fire",
				args: ["report"],
			}),
		heartbeat: (c) =>
			c.cron.every({ name: "heartbeat", interval: 60_000, action: "fire", args: ["beat"] }),
		fire: (c, what: string) => {
			c.state.fired.push(what.slice(0, 20));
			c.broadcast("fired", what.slice(0, 20));
		},
		announce: (c, text: string, count: number) => {
			c.broadcast("announced", { text, count, at: "now" });
			return count;
		},
		announceHostile: (c) => {
			c.broadcast("hostile", {
				huge: "y".repeat(1_000_000),
				bytes: new Uint8Array(10_000).fill(7),
				many: Array.from({ length: 5_000 }, (_, i) => i),
				html: "<img src=x onerror=alert(1)>",
				proto: JSON.parse('{"__proto__": {"polluted": true}}'),
				deep: JSON.parse(`${"[".repeat(50)}1${"]".repeat(50)}`),
			});
		},
		fired: (c) => c.state.fired,
	},
});

export const registry = setup({
	use: { counter, notes, onboarding, mailbox, planner },
	admin: { token: ADMIN_TOKEN },
	inspector: { token: INSPECTOR_TOKEN },
	logLevel: "silent",
});

/** A request to the inspector API and its JSON answer (`{}` for an empty body). */
export async function call(
	url: string,
	init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(url, init);
	const text = await response.text();
	return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

/**
 * An actor's recorded turns with their states: the list (`/history`, no
 * states since 2026-11-25), then each turn (`/history/{seq}`).
 */
export async function historyWithStates(
	base: string,
	actorId: string,
	headers: Record<string, string>,
): Promise<{ retention: number; turns: Record<string, unknown>[] }> {
	const list = await call(`${base}/inspector/actors/${actorId}/history`, { headers });
	const turns = list.body.turns as { seq: number; state?: unknown }[];
	for (const turn of turns) expect(turn).not.toHaveProperty("state");
	return {
		retention: list.body.retention as number,
		turns: await Promise.all(
			turns.map(
				async (turn) =>
					(await call(`${base}/inspector/actors/${actorId}/history/${turn.seq}`, { headers })).body,
			),
		),
	};
}
