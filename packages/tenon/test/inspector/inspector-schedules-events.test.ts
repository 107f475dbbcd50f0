// The inspector's Schedules and Events views on a real server: timers and
// jobs read from committed storage (the actor asleep), an audited cancel for
// the admin token only, and the live event log, recorded once events were
// sent, kept only while a stream follows, hostile values cut.
import { describe, expect, it } from "vitest";
import { setupTest } from "../../src/test/index.js";
import { ADMIN_TOKEN, INSPECTOR_TOKEN, registry } from "./fixture.js";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };

async function call(
	url: string,
	init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(url, init);
	const text = await response.text();
	return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

interface TimerView {
	id: string;
	at: number;
	action: string;
	args: unknown[];
	createdAt: number;
}

/** Reads NDJSON lines of a streaming response, skipping keepalives. */
function lineReader(response: Response): {
	next(): Promise<Record<string, unknown>>;
	close(): Promise<void>;
} {
	const reader = (response.body as ReadableStream<Uint8Array>).getReader();
	const decoder = new TextDecoder();
	let buffered = "";
	return {
		async next() {
			for (;;) {
				const newline = buffered.indexOf("\n");
				if (newline >= 0) {
					const line = buffered.slice(0, newline);
					buffered = buffered.slice(newline + 1);
					if (line !== "") return JSON.parse(line);
					continue;
				}
				const { value, done } = await reader.read();
				if (done) throw new Error("the stream ended");
				buffered += decoder.decode(value, { stream: true });
			}
		},
		close: () => reader.cancel().catch(() => {}),
	};
}

describe("inspector: schedules and cron", () => {
	it("lists timers and jobs from storage while the actor sleeps, with bounded args", async () => {
		await using t = await setupTest(registry, { startAt: Date.UTC(2026, 0, 1, 12, 0, 0) });
		const handle = t.client.planner.getOrCreate("sleeping");
		await handle.remind("later", 3_600_000);
		await handle.remind("sooner", 60_000);
		await handle.remindHuge();
		await handle.nightly();
		await handle.heartbeat();
		const actorId = await handle.resolve();
		await t.clock.advance(31_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);

		const { status, body } = await call(`${t.url}/inspector/actors/${actorId}/schedules`, {
			headers: reader,
		});
		expect(status).toBe(200);
		expect(t.awakeActors()).toBe(0);
		const start = Date.UTC(2026, 0, 1, 12, 0, 0);
		expect(body.now).toBe(start + 31_000);
		const timers = body.timers as TimerView[];
		expect(timers.map((timer) => [timer.action, timer.at])).toEqual([
			["fire", start + 60_000],
			["fire", start + 3_600_000],
			["fire", start + 3_600_000],
		]);
		expect(timers[0]?.args).toEqual(["sooner"]);
		// 60,000 characters are cut to a preview that says how much is missing.
		const huge = timers.find((timer) => String(timer.args[0]).startsWith("xxx"));
		expect(String(huge?.args[0]).length).toBeLessThan(600);
		expect(String(huge?.args[0])).toContain("(+59500 chars)");
		const jobs = body.jobs as Record<string, unknown>[];
		expect(jobs).toHaveLength(2);
		expect(jobs.find((job) => job.name === "heartbeat")).toMatchObject({
			kind: "every",
			interval: 60_000,
			action: "fire",
			args: ["beat"],
			nextAt: start + 60_000,
			lastRuns: [],
		});
		expect(jobs.find((job) => job.name === "nightly-report")).toMatchObject({
			kind: "cron",
			expression: "0 3 * * *",
			args: ["report"],
		});
		const nightly = jobs.find((job) => job.name === "nightly-report")?.nextAt as number;
		// The next 03:00 after noon (in the server's time zone), within a day.
		expect(nightly).toBeGreaterThan(start);
		expect(nightly - start).toBeLessThanOrEqual(24 * 3_600_000);
		expect(new Date(nightly).getMinutes()).toBe(0);
	});

	it("cancels a timer as an audited turn for the admin token only; it never fires", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("cancel");
		const doomed = await handle.remind("doomed", 10_000);
		await handle.remind("kept", 20_000);
		const actorId = await handle.resolve();
		const base = `${t.url}/inspector/actors/${actorId}/schedules`;

		expect((await fetch(`${base}/timers/${doomed}`, { method: "DELETE" })).status).toBe(401);
		const asReader = await call(`${base}/timers/${doomed}`, { method: "DELETE", headers: reader });
		expect(asReader.status).toBe(403);
		expect((await call(`${base}/timers/${doomed}`, { headers: admin })).status).toBe(405);

		const cancelled = await call(`${base}/timers/${doomed}`, { method: "DELETE", headers: admin });
		expect(cancelled.status).toBe(200);
		const after = (await call(base, { headers: reader })).body.timers as TimerView[];
		expect(after.map((timer) => timer.args[0])).toEqual(["kept"]);

		// Gone for good: cancelling again, or a timer that never was, is a 404.
		for (const id of [doomed, "999", "0", "abc", "-1", "1e3", "9".repeat(40), "1%20"]) {
			const missing = await call(`${base}/timers/${id}`, { method: "DELETE", headers: admin });
			expect(missing.status, id).toBe(404);
			expect(missing.body).toMatchObject({ group: "inspector", code: "timer_not_found" });
		}
		expect(
			(await call(`${base}/timers/%ZZ`, { method: "DELETE", headers: admin })).body,
		).toMatchObject({ group: "request", code: "invalid" });

		await t.clock.advance(25_000);
		await t.settle();
		expect(await handle.fired()).toEqual(["kept"]);
	});

	it("answers stable errors for unknown actors and wrong methods", async () => {
		await using t = await setupTest(registry);
		const unknown = await call(`${t.url}/inspector/actors/nope/schedules`, { headers: reader });
		expect(unknown.status).toBe(404);
		const handle = t.client.planner.getOrCreate("methods");
		await handle.fired();
		const actorId = await handle.resolve();
		const post = await call(`${t.url}/inspector/actors/${actorId}/schedules`, {
			method: "POST",
			headers: admin,
		});
		expect(post.status).toBe(405);
		const empty = await call(`${t.url}/inspector/actors/${actorId}/schedules`, { headers: reader });
		expect(empty.body).toMatchObject({ timers: [], jobs: [] });
	});
});

describe("inspector: event log", () => {
	it("streams events once sent, from actions and timers, and keeps none without a follower", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("events");
		const listener = handle.connect();
		const heard: unknown[] = [];
		listener.on("announced", (payload: unknown) => heard.push(payload));
		await listener.announce("before anyone follows", 0);
		const actorId = await handle.resolve();
		const url = `${t.url}/inspector/actors/${actorId}/events/stream`;

		expect((await fetch(url)).status).toBe(401);
		const abort = new AbortController();
		const response = await fetch(url, { headers: reader, signal: abort.signal });
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
		const lines = lineReader(response);
		// Nothing was kept while nobody followed the actor.
		expect(await lines.next()).toEqual({ events: [], status: "awake" });

		await listener.announce("hello", 1);
		const first = (await lines.next()).events as Record<string, unknown>[];
		expect(first).toEqual([
			{
				seq: 1,
				name: "announced",
				args: [{ text: "hello", count: 1, at: "now" }],
				truncated: false,
				recipients: 1,
				sentAt: expect.any(Number),
			},
		]);
		// A timer's action broadcasts too (no client subscribed to `fired`).
		await handle.remind("tick", 1_000);
		await t.clock.advance(1_500);
		const fired = (await lines.next()).events as Record<string, unknown>[];
		expect(fired).toMatchObject([{ seq: 2, name: "fired", args: ["tick"], recipients: 0 }]);

		// A second follower gets what the first one's log kept.
		const second = await fetch(url, { headers: admin });
		const secondLines = lineReader(second);
		const backlog = (await secondLines.next()).events as { seq: number }[];
		expect(backlog.map((event) => event.seq)).toEqual([1, 2]);
		await secondLines.close();

		abort.abort();
		await lines.close();
		// Every follower left: the log is dropped and events are no longer kept.
		await listener.announce("unobserved", 2);
		await t.settle();
		const again = lineReader(await fetch(url, { headers: reader }));
		expect(await again.next()).toMatchObject({ events: [] });
		await again.close();
		expect(heard).toHaveLength(3);
		await listener.dispose();
	});

	it("cuts hostile event values: huge strings, binary data, long arrays", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.planner.getOrCreate("hostile");
		await handle.fired();
		const actorId = await handle.resolve();
		const response = await fetch(`${t.url}/inspector/actors/${actorId}/events/stream`, {
			headers: reader,
		});
		const lines = lineReader(response);
		await lines.next();
		await handle.announceHostile();
		const line = await lines.next();
		expect(JSON.stringify(line).length).toBeLessThan(20_000);
		const [event] = line.events as { args: [Record<string, unknown>]; truncated: boolean }[];
		expect(event?.truncated).toBe(true);
		const [payload] = event?.args ?? [];
		expect(String(payload?.huge)).toContain("(+999500 chars)");
		expect(payload?.bytes).toEqual({ $bytes: "07".repeat(64), length: 10_000 });
		expect((payload?.many as unknown[] | undefined)?.at(-1)).toBe("…(+4950 items)");
		// Markup stays text: the app renders it as such (checked in Chromium).
		expect(payload?.html).toBe("<img src=x onerror=alert(1)>");
		// A `__proto__` key stays a key of the preview; deep nesting is cut.
		expect(Object.keys(payload?.proto as object)).toEqual(["__proto__"]);
		expect(JSON.stringify(payload?.deep)).toBe('[[[["…"]]]]');
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		await lines.close();
	});
});
