// `GET /ready`: whether a node should get traffic (docs/server.md). A
// liveness check (`/health`) said 200 while the node's storage was down and
// while it shut down, so a load balancer kept sending it calls that failed
// (an SRE walkthrough, 2026-11-28). Real servers, real sockets; the database
// goes away behind a TCP proxy that the test stops and starts again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, lmdbDriver, postgresDriver, setup } from "../../src/index.js";
import { Readiness } from "../../src/runtime/readiness.js";
import { openLmdbStorage } from "../../src/storage/drivers/lmdb/index.js";
import { DEFAULT_COMMIT_LOG_LIMITS } from "../../src/storage/drivers/lmdb/log-writer.js";
import type { StorageDriver, StorageHandles } from "../../src/storage/interfaces.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	lockTable,
	POSTGRES_URL,
} from "../helpers/postgres.js";
import { PostgresProxy } from "../helpers/postgres-proxy.js";
import { openSimulatedLog } from "../helpers/power-loss-log-file.js";

const counter = actor({
	state: { n: 0 },
	actions: { add: (c) => ++c.state.n },
});

const dirs: string[] = [];
function dataDir(): string {
	const dir = mkdtempSync(join(tmpdir(), "tenon-ready-"));
	dirs.push(dir);
	return dir;
}
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function ready(url: string, path = "/ready", method = "GET") {
	const response = await fetch(`${url}${path}`, { method });
	const body = method === "HEAD" ? undefined : await response.json();
	return { status: response.status, body, cacheControl: response.headers.get("cache-control") };
}

async function add(url: string, key: string) {
	const response = await fetch(
		`${url}/gateway/counter/action/add?rvt-method=getOrCreate&rvt-key=${key}`,
		{ method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
	);
	const body = (await response.json()) as { output?: unknown };
	return { status: response.status, body: response.ok ? body.output : body };
}

/** Polls until `probe` returns what `done` accepts, or fails after `ms`. */
async function until<T>(
	probe: () => Promise<T>,
	done: (value: T) => boolean,
	ms: number,
): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await probe();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe("GET /ready on a single node", () => {
	it("answers 200 while the node serves, on /ready and /readyz, GET and HEAD, never cached", async () => {
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: lmdbDriver({ path: dataDir() }),
		});
		await using server = await registry.start({ port: 0, host: "127.0.0.1" });
		expect(await ready(server.url)).toMatchObject({
			status: 200,
			body: { status: "ready", runtime: "tenon" },
			cacheControl: "no-store",
		});
		expect((await ready(server.url, "/readyz")).status).toBe(200);
		expect((await ready(server.url, "/ready", "HEAD")).status).toBe(200);
		// The liveness probe too is never cached (an operator's walkthrough, 2026-11-29).
		expect(await ready(server.url, "/health")).toMatchObject({
			status: 200,
			cacheControl: "no-store",
		});
		expect(await ready(server.url, "/ready", "POST")).toMatchObject({
			status: 405,
			body: { group: "request", code: "method_not_allowed" },
		});
	});

	it("answers 503 draining through drainMs while actions and /health are still served", async () => {
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: lmdbDriver({ path: dataDir() }),
		});
		const server = await registry.start({ port: 0, host: "127.0.0.1", drainMs: 1_500 });
		expect((await add(server.url, "a")).body).toBe(1);
		const closed = server.close();
		expect(await ready(server.url)).toMatchObject({
			status: 503,
			body: { status: "not_ready", reason: "draining" },
		});
		expect((await fetch(`${server.url}/health`)).status).toBe(200);
		// Still served during the drain, on new connections too.
		expect((await add(server.url, "a")).body).toBe(2);
		await closed;
		await expect(fetch(`${server.url}/ready`)).rejects.toThrow();
	});

	it("refuses a drainMs that is not a duration", async () => {
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: lmdbDriver({ path: dataDir() }),
		});
		await expect(registry.start({ port: 0, host: "127.0.0.1", drainMs: -1 })).rejects.toThrow(
			/drainMs/,
		);
		await expect(
			registry.start({ port: 0, host: "127.0.0.1", drainMs: Number.NaN }),
		).rejects.toThrow(/drainMs/);
	});

	it("answers 503 storage once the commit log failed, and keeps serving /health", async () => {
		const path = dataDir();
		const log = openSimulatedLog();
		const storage: StorageDriver = {
			name: "lmdb",
			open: () =>
				openLmdbStorage(path, { commitLog: DEFAULT_COMMIT_LOG_LIMITS, openLogFile: log.open }),
		};
		const registry = setup({ use: { counter }, logLevel: "silent", storage });
		await using server = await registry.start({ port: 0, host: "127.0.0.1" });
		expect((await add(server.url, "a")).body).toBe(1);
		expect((await ready(server.url)).status).toBe(200);
		// The disk goes: the next commit's sync fails, and every later one is refused.
		log.opened().cutAtSync(1);
		expect(await add(server.url, "a")).toMatchObject({
			status: 500,
			body: { group: "core", code: "internal_error" },
		});
		// The last check passed less than a second ago: it is reused that long.
		const after = await until(
			() => ready(server.url),
			(r) => r.status === 503,
			3_000,
		);
		expect(after).toMatchObject({ status: 503, body: { status: "not_ready", reason: "storage" } });
		expect((await fetch(`${server.url}/health`)).status).toBe(200);
	});

	// An SRE walkthrough (2026-11-29): on a full disk every commit failed (the log could not
	// grow) while /ready said ready.
	it("answers 503 storage while commits find no room in the log, and 200 once it has room again", async () => {
		const path = dataDir();
		const log = openSimulatedLog();
		const limits = {
			...DEFAULT_COMMIT_LOG_LIMITS,
			initialBytes: 8 * 1024,
			checkpointIntervalMs: 600_000,
		};
		const storage: StorageDriver = {
			name: "lmdb",
			open: () => openLmdbStorage(path, { commitLog: limits, openLogFile: log.open }),
		};
		const registry = setup({ use: { counter }, logLevel: "silent", storage });
		await using server = await registry.start({ port: 0, host: "127.0.0.1" });
		expect((await add(server.url, "a")).body).toBe(1);
		expect((await ready(server.url)).status).toBe(200);
		log.opened().noSpace = true;
		// Each record takes a 4 KiB block: the log must grow within a few commits.
		let failed = false;
		for (let i = 0; i < 4 && !failed; i++) failed = (await add(server.url, `k${i}`)).status === 500;
		expect(failed).toBe(true);
		const full = await until(
			() => ready(server.url),
			(r) => r.status === 503,
			4_000,
		);
		expect(full).toMatchObject({ status: 503, body: { status: "not_ready", reason: "storage" } });
		// Room again: ready without a commit first (a node out of rotation gets none).
		log.opened().noSpace = false;
		const back = await until(
			() => ready(server.url),
			(r) => r.status === 200,
			4_000,
		);
		expect(back.status).toBe(200);
		expect((await add(server.url, "b")).status).toBe(200);
	});

	it("is ready when mounted, once the runtime started", async () => {
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: lmdbDriver({ path: dataDir() }),
		});
		try {
			const response = await registry.handler(new Request("http://localhost/ready"), {
				remoteAddress: "127.0.0.1",
			});
			expect(response.status).toBe(200);
		} finally {
			await registry.stop();
		}
	});
});

describe("GET /ready on PostgreSQL", () => {
	beforeAll(assertPostgresReachable);
	afterAll(closeAdmin);

	it("answers 503 storage while the database is unreachable, and 200 again once it is back", async () => {
		const schema = freshSchema();
		const link = new PostgresProxy();
		await link.up();
		try {
			const registry = setup({
				use: { counter },
				logLevel: "silent",
				storage: postgresDriver({ url: link.url, schema, cluster: { leaseTtlMs: 30_000 } }),
			});
			await using server = await registry.start({ port: 0, host: "127.0.0.1" });
			expect((await add(server.url, "a")).body).toBe(1);
			expect((await ready(server.url)).status).toBe(200);

			await link.down();
			const down = await until(
				() => ready(server.url),
				(r) => r.status === 503,
				6_000,
			);
			expect(down).toMatchObject({ status: 503, body: { status: "not_ready", reason: "storage" } });
			expect((await fetch(`${server.url}/health`)).status).toBe(200);

			await link.up();
			const back = await until(
				() => ready(server.url),
				(r) => r.status === 200,
				10_000,
			);
			expect(back).toMatchObject({ status: 200, body: { status: "ready" } });
			expect((await add(server.url, "a")).body).toBe(2);
		} finally {
			await link.down();
			await dropSchema(schema);
		}
	});
});

describe("GET /ready on PostgreSQL, its bytes lost", () => {
	beforeAll(assertPostgresReachable);
	afterAll(closeAdmin);

	// An SRE walkthrough (2026-11-29): a middlebox that dropped bytes for 10 s left the check's
	// query waiting for good, and readiness starts no check while one is pending: 503 storage
	// long after the database was back, while actions answered.
	it("is ready again once the database answers, though a check's query was lost", async () => {
		const schema = freshSchema();
		let dropping = false;
		// Swallows what clients send while dropping: their queries are never answered.
		const link = new PostgresProxy(() => dropping);
		await link.up();
		try {
			const registry = setup({
				use: { counter },
				logLevel: "silent",
				storage: postgresDriver({ url: link.url, schema, cluster: { leaseTtlMs: 60_000 } }),
			});
			await using server = await registry.start({ port: 0, host: "127.0.0.1" });
			expect((await ready(server.url)).status).toBe(200);
			dropping = true;
			const down = await until(
				() => ready(server.url),
				(r) => r.status === 503,
				8_000,
			);
			expect(down).toMatchObject({ status: 503, body: { reason: "storage" } });
			dropping = false;
			const back = await until(
				() => ready(server.url),
				(r) => r.status === 200,
				10_000,
			);
			expect(back).toMatchObject({ status: 200, body: { status: "ready" } });
		} finally {
			dropping = false;
			await link.down();
			await dropSchema(schema);
		}
	}, 30_000);
});

describe("GET /ready on PostgreSQL, busy", () => {
	beforeAll(assertPostgresReachable);

	it("stays ready while every pooled connection waits on a lock (the check has its own)", async () => {
		const schema = freshSchema();
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 4 }),
		});
		const server = await registry.start({ port: 0, host: "127.0.0.1" });
		let unlock: (() => Promise<void>) | undefined;
		try {
			expect((await add(server.url, "warm")).body).toBe(1);
			expect((await ready(server.url)).status).toBe(200);
			// Wakes of new actors wait on the locked table, holding every pooled connection.
			unlock = await lockTable(schema, "actors");
			const pending = Array.from({ length: 8 }, (_, i) => add(server.url, `k${i}`));
			const probes: number[] = [];
			for (let i = 0; i < 4; i++) {
				await new Promise((resolve) => setTimeout(resolve, 1_100));
				probes.push((await ready(server.url)).status);
			}
			await unlock();
			unlock = undefined;
			await Promise.all(pending);
			expect(probes).toEqual([200, 200, 200, 200]);
		} finally {
			await unlock?.();
			await server.close();
			await dropSchema(schema);
		}
	}, 30_000);
});

describe("the storage check", () => {
	it("that hangs is not started again while it hangs, and says storage once past its timeout", async () => {
		let started = 0;
		const storage = {
			check: () => {
				started++;
				return new Promise<void>(() => {});
			},
		} as unknown as StorageHandles;
		const readiness = new Readiness(storage, createLogger({ level: "silent" }));
		readiness.serving();
		const reports: string[] = [];
		const deadline = Date.now() + 4_500;
		while (Date.now() < deadline) {
			const report = await readiness.check();
			reports.push(report.ready ? "ready" : report.reason);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		expect(started).toBe(1);
		expect(reports.at(-1)).toBe("storage");
	}, 10_000);

	it("that throws at once counts as failed, as one that rejects", async () => {
		const storage = {
			check: () => {
				throw new Error("not even a promise");
			},
		} as unknown as StorageHandles;
		const readiness = new Readiness(storage, createLogger({ level: "silent" }));
		readiness.serving();
		expect(await readiness.check()).toEqual({ ready: true }); // one failure is not an outage
		await new Promise((resolve) => setTimeout(resolve, 1_050));
		expect(await readiness.check()).toEqual({ ready: false, reason: "storage" });
	});
});

describe("a start whose cluster join hangs", () => {
	beforeAll(assertPostgresReachable);

	it("fails after three lease times (at least 5 s) and gives its port back", async () => {
		const schema = freshSchema();
		const registry = setup({
			use: { counter },
			logLevel: "silent",
			storage: postgresDriver({ url: POSTGRES_URL, schema, cluster: { leaseTtlMs: 600 } }),
		});
		// The schema exists once a driver opened it; then its nodes table is locked.
		await using first = await registry.start({ port: 0, host: "127.0.0.1" });
		// Its port, free again, for the start that fails: a random one in 20,000-40,000 was
		// taken by another process once (EADDRINUSE, a gate run, 2026-11-29).
		const port = Number(new URL(first.url).port);
		await first.close();
		const unlock = await lockTable(schema, "nodes");
		try {
			const started = performance.now();
			await expect(registry.start({ port, host: "127.0.0.1" })).rejects.toThrow(
				/joining the cluster took over 5000 ms/,
			);
			const ms = performance.now() - started;
			expect(ms).toBeGreaterThan(4_900);
			expect(ms).toBeLessThan(15_000);
			// Not left listening, half started.
			await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
		} finally {
			await unlock();
			await dropSchema(schema);
		}
	}, 30_000);
});
