// The inspector app's API on a real server: the app's files without a
// credential (content types, caching, CSP), the API behind the inspector or
// admin token, writes for the admin token only, time travel that survives a
// restart, and hostile input (bad tokens, malformed and huge JSON). The SQL console: inspector-sql-console.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import { setupTest } from "../../src/test/index.js";
import { ADMIN_TOKEN, call, historyWithStates, INSPECTOR_TOKEN, registry } from "./fixture.js";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };

describe("inspector app: static files", () => {
	it("serves the app without a credential, with content types, caching and a strict CSP", async () => {
		await using t = await setupTest(registry);
		const redirect = await fetch(`${t.url}/inspector`, { redirect: "manual" });
		expect(redirect.status).toBe(308);
		expect(redirect.headers.get("location")).toBe("inspector/");

		const index = await fetch(`${t.url}/inspector/`);
		expect(index.status).toBe(200);
		expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
		expect(index.headers.get("cache-control")).toBe("no-cache");
		const csp = index.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("script-src 'self'");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).not.toContain("unsafe-inline");
		const html = await index.text();
		// No inline script: everything comes from hashed asset files.
		expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
		const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
		const style = /href="\.\/(assets\/[^"]+\.css)"/.exec(html)?.[1];
		expect(script).toBeDefined();
		const js = await fetch(`${t.url}/inspector/${script}`);
		expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
		expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
		const css = await fetch(`${t.url}/inspector/${style}`);
		expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");

		expect((await fetch(`${t.url}/inspector/assets/nope.js`)).status).toBe(404);
		expect((await fetch(`${t.url}/inspector/assets/..%2f..%2fpackage.json`)).status).toBe(404);
		expect((await fetch(`${t.url}/inspector/assets/../../package.json`)).status).not.toBe(200);
		// The API is still behind the credential.
		expect((await fetch(`${t.url}/inspector/session`)).status).toBe(401);
	});
});

describe("inspector app: API", () => {
	it("tells the session's role; bad tokens get stable errors", async () => {
		await using t = await setupTest(registry);
		const asAdmin = await call(`${t.url}/inspector/session`, { headers: admin });
		expect(asAdmin.body).toMatchObject({ role: "admin" });
		expect(asAdmin.body.actorNames).toContainEqual({
			name: "counter",
			turnHistory: 50,
			actions: ["increment", "rename", "read", "caller", "fail"],
		});
		const asReader = await call(`${t.url}/inspector/session`, { headers: reader });
		expect(asReader.body).toMatchObject({ role: "inspector" });
		for (const headers of [
			{ authorization: "Bearer wrong-token-wrong-token" },
			{ authorization: `Bearer ${ADMIN_TOKEN}x` },
			{ authorization: "Basic abc" },
			{ authorization: `Bearer ${"x".repeat(10_000)}` },
		]) {
			const refused = await call(`${t.url}/inspector/actors`, { headers });
			expect([401, 403]).toContain(refused.status);
			expect(refused.body.group).toBe("auth");
		}
	});

	it("lists, searches, creates and destroys actors; only the admin token writes", async () => {
		await using t = await setupTest(registry);
		await t.client.counter.getOrCreate(["team", "alpha"]).increment(2);
		await t.client.counter.getOrCreate("beta").increment(1);
		const listed = await call(`${t.url}/inspector/actors?q=alpha`, { headers: reader });
		expect(listed.body.actors).toEqual([
			expect.objectContaining({ name: "counter", key: ["team", "alpha"], status: "awake" }),
		]);
		// As the app shows keys: parts between " / ", hidden and look-alike characters escaped
		// (a key copied from the list found nothing: a walkthrough, 2026-11-29).
		await t.client.counter.getOrCreate(["payments-pr\u043ed"]).increment(1);
		for (const [typed, key] of [
			["team / alpha", ["team", "alpha"]],
			["payments-pr\\u{43e}d", ["payments-pr\u043ed"]],
		] as const) {
			const found = await call(`${t.url}/inspector/actors?q=${encodeURIComponent(typed)}`, {
				headers: reader,
			});
			expect(found.body.actors).toEqual([expect.objectContaining({ key })]);
		}

		const body = JSON.stringify({ name: "counter", key: ["made", "here"], input: { x: 1 } });
		const refused = await call(`${t.url}/inspector/actors`, {
			method: "POST",
			headers: { ...reader, ...json },
			body,
		});
		expect(refused.status).toBe(403);
		const created = await call(`${t.url}/inspector/actors`, {
			method: "POST",
			headers: { ...admin, ...json },
			body,
		});
		expect(created.status).toBe(201);
		const actorId = (created.body.actor as { actorId: string }).actorId;
		const again = await call(`${t.url}/inspector/actors`, {
			method: "POST",
			headers: { ...admin, ...json },
			body,
		});
		expect(again.body).toMatchObject({ group: "actor", code: "duplicate_key" });

		const unknownType = await call(`${t.url}/inspector/actors`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: JSON.stringify({ name: "nope" }),
		});
		expect(unknownType.status).toBe(400);

		expect(
			(await call(`${t.url}/inspector/actors/${actorId}`, { method: "DELETE", headers: reader }))
				.status,
		).toBe(403);
		const destroyed = await call(`${t.url}/inspector/actors/${actorId}`, {
			method: "DELETE",
			headers: admin,
		});
		expect(destroyed.status).toBe(200);
		const gone = await call(`${t.url}/inspector/actors/${actorId}`, { headers: reader });
		expect(gone.body).toMatchObject({ group: "actor", code: "not_found" });
	});

	it("reads and edits state, runs actions, and refuses malformed and huge bodies", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("edit");
		await handle.increment(5);
		const actorId = await handle.resolve();
		const base = `${t.url}/inspector/actors/${actorId}`;
		expect((await call(`${base}/state`, { headers: reader })).body).toMatchObject({
			initialized: true,
			state: { count: 5, label: "new" },
		});

		const edited = await call(`${base}/state`, {
			method: "PUT",
			headers: { ...admin, ...json },
			body: JSON.stringify({ state: { count: 100, label: "edited" } }),
		});
		expect(edited.body).toMatchObject({ state: { count: 100, label: "edited" } });
		expect(await handle.read()).toBe(100);

		const ran = await call(`${base}/actions/increment`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: JSON.stringify({ args: [1] }),
		});
		expect(ran.body).toMatchObject({ output: 101 });
		// The actor's code never sees the operator's credential.
		const caller = await call(`${base}/actions/caller`, {
			method: "POST",
			headers: { ...admin, ...json, "x-rivet-token": ADMIN_TOKEN },
			body: "{}",
		});
		expect(caller.body).toMatchObject({ output: { authorization: null, token: null } });
		const failed = await call(`${base}/actions/fail`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: "{}",
		});
		expect(failed.status).toBeGreaterThanOrEqual(400);
		expect(failed.body.group).toBeTypeOf("string");
		const missing = await call(`${base}/actions/nope`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: "{}",
		});
		expect(missing.body).toMatchObject({ group: "actor", code: "action_not_found" });
		const asReader = await call(`${base}/actions/increment`, {
			method: "POST",
			headers: { ...reader, ...json },
			body: "{}",
		});
		expect(asReader.status).toBe(403);

		for (const bad of ["{", "[1,2]", "null", '{"state": 1', "\u0000"]) {
			const refused = await call(`${base}/state`, {
				method: "PUT",
				headers: { ...admin, ...json },
				body: bad,
			});
			expect(refused.status).toBe(400);
			expect(refused.body.group).toBeTypeOf("string");
		}
		const huge = await call(`${base}/state`, {
			method: "PUT",
			headers: { ...admin, ...json },
			body: JSON.stringify({ state: { blob: "x".repeat(20 * 1024 * 1024) } }),
		});
		expect(huge.body).toMatchObject({ group: "message", code: "incoming_too_long" });
		const deep = await call(`${base}/state`, {
			method: "PUT",
			headers: { ...admin, ...json },
			body: `{"state":${"[".repeat(5000)}${"]".repeat(5000)}}`,
		});
		expect(deep.status).toBe(400);
		// An edit that would change the state's kind (an object into a string, an
		// array, null) is refused: the actor's code could not run on it.
		for (const state of ["not an object", [1], null, 7]) {
			const reshaped = await call(`${base}/state`, {
				method: "PUT",
				headers: { ...admin, ...json },
				body: JSON.stringify({ state }),
			});
			expect(reshaped.status).toBe(400);
			expect(reshaped.body).toMatchObject({ group: "inspector", code: "state_kind" });
		}
		expect(await handle.read()).toBe(101);
	});

	it("shows an actor asleep with its hibernated connections, without waking it", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("sleepy");
		const conn = handle.connect();
		expect(await conn.increment(3)).toBe(3);
		const actorId = await handle.resolve();
		const listed = async () =>
			(
				(await call(`${t.url}/inspector/actors?name=counter&q=sleepy`, { headers: reader })).body
					.actors as Record<string, unknown>[]
			)[0];
		expect(await listed()).toMatchObject({ status: "awake", connections: 1 });
		await t.clock.advance(31_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		expect(await listed()).toMatchObject({
			actorId,
			status: "sleeping",
			connections: 1,
			hibernatedConnections: 1,
		});
		const state = await call(`${t.url}/inspector/actors/${actorId}/state`, { headers: reader });
		expect(state.body).toMatchObject({ state: { count: 3 }, status: "sleeping" });
		expect(t.awakeActors()).toBe(0);
		await conn.dispose();
	});

	it("streams the committed state after each commit, and stops when the client goes away", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("stream");
		await handle.increment(1);
		const actorId = await handle.resolve();
		const abort = new AbortController();
		const response = await fetch(`${t.url}/inspector/actors/${actorId}/state/stream`, {
			headers: reader,
			signal: abort.signal,
		});
		expect(response.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
		const lines = (response.body as ReadableStream<Uint8Array>).getReader();
		const decoder = new TextDecoder();
		let buffered = "";
		const nextLine = async (): Promise<Record<string, unknown>> => {
			for (;;) {
				const newline = buffered.indexOf("\n");
				if (newline >= 0) {
					const line = buffered.slice(0, newline);
					buffered = buffered.slice(newline + 1);
					if (line !== "") return JSON.parse(line);
					continue;
				}
				const { value, done } = await lines.read();
				if (done) throw new Error("the stream ended");
				buffered += decoder.decode(value, { stream: true });
			}
		};
		expect(await nextLine()).toMatchObject({ state: { count: 1 }, status: "awake" });
		await handle.increment(2);
		expect(await nextLine()).toMatchObject({ state: { count: 3 } });
		await handle.rename("streamed");
		expect(await nextLine()).toMatchObject({ state: { count: 3, label: "streamed" } });
		abort.abort();
		await lines.cancel().catch(() => {});
		// Unauthenticated: refused like every API route.
		const refused = await fetch(`${t.url}/inspector/actors/${actorId}/state/stream`);
		expect(refused.status).toBe(401);
	});

	it("records turns, travels back, and restores as a new turn that survives a restart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("travel");
		await handle.increment(1);
		await handle.rename("second");
		await handle.read();
		await handle.increment(10);
		const actorId = await handle.resolve();
		const base = `${t.url}/inspector/actors/${actorId}`;
		const history = { body: await historyWithStates(t.url, actorId, reader) };
		const turns = history.body.turns as unknown as {
			seq: number;
			origins: { kind: string; name?: string }[];
			state: { count: number; label: string };
		}[];
		expect(history.body.retention).toBe(50);
		const actions = turns.filter((turn) => turn.origins[0]?.kind === "action");
		// The read-only `read` left no turn.
		expect(actions.map((turn) => turn.origins[0]?.name)).toEqual([
			"increment",
			"rename",
			"increment",
		]);
		expect(actions.map((turn) => turn.state)).toEqual([
			{ count: 1, label: "new" },
			{ count: 1, label: "second" },
			{ count: 11, label: "second" },
		]);
		const target = actions[0]?.seq as number;
		expect(
			(await call(`${base}/history/${target}/restore`, { method: "POST", headers: reader })).status,
		).toBe(403);
		const restored = await call(`${base}/history/${target}/restore`, {
			method: "POST",
			headers: admin,
		});
		expect(restored.body).toMatchObject({ state: { count: 1, label: "new" } });
		expect(await handle.read()).toBe(1);
		const unknown = await call(`${base}/history/999999/restore`, {
			method: "POST",
			headers: admin,
		});
		expect(unknown.body).toMatchObject({ group: "inspector", code: "turn_not_found" });

		await t.restart();
		await handle.increment(1);
		const after = await call(`${t.url}/inspector/actors/${actorId}/history`, { headers: reader });
		const kept = after.body.turns as { seq: number; origins: { kind: string }[] }[];
		expect(kept.at(-2)?.origins[0]).toMatchObject({
			kind: "inspector",
			operation: "restore",
			fromSeq: target,
		});
		// Numbering goes on after the restart.
		expect(kept.at(-1)?.seq).toBe((kept.at(-2)?.seq as number) + 1);
	});

	it("on LMDB (synchronous commits), each action is named in its own record, across a restart", async () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-inspector-lmdb-"));
		try {
			await using t = await setupTest(registry, { storage: lmdbDriver({ path: dir }) });
			const handle = t.client.counter.getOrCreate("lmdb");
			await handle.increment(1);
			await handle.rename("on-disk");
			await t.restart();
			await handle.increment(2);
			const actorId = await handle.resolve();
			const body = await historyWithStates(t.url, actorId, reader);
			const turns = body.turns as unknown as {
				seq: number;
				origins: { name?: string }[];
				state: unknown;
			}[];
			expect(turns.map((turn) => [turn.seq, turn.origins[0]?.name, turn.state])).toEqual([
				[1, "increment", { count: 1, label: "new" }],
				[2, "rename", { count: 1, label: "on-disk" }],
				[3, "increment", { count: 3, label: "on-disk" }],
			]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("names the workflow step that changed the state", async () => {
		await using t = await setupTest(registry);
		const flow = t.client.onboarding.getOrCreate("steps");
		await expect.poll(() => flow.steps()).toEqual(["create-account", "send-welcome"]);
		await t.settle();
		const actorId = await flow.resolve();
		const body = await historyWithStates(t.url, actorId, reader);
		const turns = body.turns as unknown as { origins: unknown[]; state: { steps: string[] } }[];
		expect(turns.flatMap((turn) => turn.origins)).toEqual(
			expect.arrayContaining([
				{ kind: "workflow", step: "create-account" },
				{ kind: "workflow", step: "send-welcome" },
			]),
		);
		expect(turns.at(-1)?.state.steps).toEqual(["create-account", "send-welcome"]);
	});

	it("keeps only the last N turns, and nothing for actors without the option", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("trim");
		for (let i = 0; i < 60; i++) await handle.increment(1);
		const actorId = await handle.resolve();
		const turns = (await historyWithStates(t.url, actorId, reader)).turns as unknown as {
			state: { count: number };
		}[];
		expect(turns).toHaveLength(50);
		expect(turns.at(-1)?.state.count).toBe(60);
		const notes = t.client.notes.getOrCreate("none");
		await notes.add("x");
		const notesId = await notes.resolve();
		const none = await call(`${t.url}/inspector/actors/${notesId}/history`, { headers: reader });
		expect(none.body).toEqual({ retention: 0, turns: [] });
	});
});
