// Regressions: a `content-type: text/plain` POST from https://evil.example ran
// an action and created actors, a WebSocket with a foreign Origin got `Init`,
// and the Host header was ignored (DNS rebinding reached a loopback server).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { exactRequest, rawRequest, tryUpgrade } from "../helpers/raw.js";

const board = actor({
	state: { posts: 0 },
	actions: {
		post: (c) => ++c.state.posts,
		count: (c) => c.state.posts,
	},
});

const CORS_ORIGIN = "https://app.example.com";
let server: TenonServer;
let base: string;
let port: string;

beforeAll(async () => {
	server = await setup({
		use: { board },
		logLevel: "silent",
		cors: { origin: [CORS_ORIGIN] },
	}).start({ port: 0, storage: memoryDriver() });
	base = server.url;
	port = new URL(base).port;
});
afterAll(() => server.close());

const ACTION = "/gateway/board/action/post?rvt-method=getOrCreate&rvt-key=b";
const COUNT = "/gateway/board/action/count?rvt-method=getOrCreate&rvt-key=b";

async function posts(): Promise<number> {
	const answer = await rawRequest(`${base}${COUNT}`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: '{"args":[]}',
	});
	return answer.body.output;
}

describe("cross-site requests", () => {
	it("cannot run actions or create actors from a foreign page", async () => {
		const before = await posts();
		for (const contentType of ["text/plain", "application/json"]) {
			const answer = await exactRequest(`${base}${ACTION}`, {
				method: "POST",
				headers: { origin: "https://evil.example", "content-type": contentType },
				body: '{"args":[]}',
			});
			expect({ status: answer.status, code: answer.body?.code }).toEqual({
				status: 403,
				code: "origin_not_allowed",
			});
		}
		const create = await exactRequest(`${base}/actors`, {
			method: "PUT",
			headers: { origin: "https://evil.example", "content-type": "text/plain" },
			body: '{"name":"board","key":"made-by-evil"}',
		});
		expect(create.status).toBe(403);
		const created = await rawRequest(`${base}/actors?name=board&key=made-by-evil`);
		expect(created.body.actors).toEqual([]);
		expect(await posts()).toBe(before);
	});

	it("refuses bodies a form could send, from any origin", async () => {
		for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
			const answer = await exactRequest(`${base}${ACTION}`, {
				method: "POST",
				headers: { "content-type": type },
				body: '{"args":[]}',
			});
			expect({ status: answer.status, code: answer.body?.code }).toEqual({
				status: 415,
				code: "unsupported_content_type",
			});
		}
	});

	it("lets the server's own pages and the CORS allow-list in", async () => {
		const before = await posts();
		for (const origin of [`http://127.0.0.1:${port}`, CORS_ORIGIN]) {
			const answer = await exactRequest(`${base}${ACTION}`, {
				method: "POST",
				headers: { origin, "content-type": "application/json" },
				body: '{"args":[]}',
			});
			expect(answer.status).toBe(200);
		}
		expect(await posts()).toBe(before + 2);
		const preflight = await exactRequest(`${base}${ACTION}`, {
			method: "OPTIONS",
			headers: { origin: CORS_ORIGIN, "access-control-request-method": "POST" },
		});
		expect(preflight.status).toBe(204);
		expect(preflight.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN);
	});

	it("refuses WebSocket upgrades from a foreign origin before any frame", async () => {
		const url = `${base.replace("http", "ws")}/gateway/board/connect?rvt-method=getOrCreate&rvt-key=b`;
		const foreign = await tryUpgrade(url, ["rivet", "rivet_encoding.json"], {
			origin: "https://evil.example",
		});
		expect(foreign).toEqual({ opened: false, status: 403 });
		const own = await tryUpgrade(url, ["rivet", "rivet_encoding.json"], {
			origin: `http://localhost:${port}`,
			host: `localhost:${port}`,
		});
		expect(own.opened).toBe(true);
		expect(own.firstMessage).toContain("Init");
	});
});

describe("DNS rebinding", () => {
	it("a loopback server answers only to loopback host names", async () => {
		const rebound = await exactRequest(`${base}${ACTION}`, {
			method: "POST",
			headers: {
				host: `evil.example:${port}`,
				origin: `http://evil.example:${port}`,
				"content-type": "application/json",
			},
			body: '{"args":[]}',
		});
		expect({ status: rebound.status, code: rebound.body?.code }).toEqual({
			status: 403,
			code: "host_not_allowed",
		});
		const url = `${base.replace("http", "ws")}/gateway/board/connect?rvt-method=getOrCreate&rvt-key=b`;
		const socket = await tryUpgrade(url, ["rivet", "rivet_encoding.json"], {
			host: `evil.example:${port}`,
		});
		expect(socket).toEqual({ opened: false, status: 403 });
		for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`]) {
			const answer = await exactRequest(`${base}/health`, { headers: { host } });
			expect(answer.status).toBe(200);
		}
	});

	it("allowedHosts replaces the default, and a server on every interface checks it too", async () => {
		const open = await setup({
			use: { board },
			logLevel: "silent",
			allowedHosts: ["tenon.example", "*.tenon.example"],
		}).start({ port: 0, host: "0.0.0.0", storage: memoryDriver() });
		try {
			const at = (host: string) =>
				exactRequest(`http://127.0.0.1:${new URL(open.url).port}/health`, { headers: { host } });
			expect((await at("tenon.example")).status).toBe(200);
			expect((await at("eu.tenon.example:443")).status).toBe(200);
			expect((await at("localhost")).status).toBe(403);
			expect((await at("evil.example")).status).toBe(403);
			// An IP address still: a health probe or a metrics scraper reaching the node by its
			// address got 403 once allowedHosts was set, as the production checklist says to
			// (an SRE walkthrough, 2026-11-28). DNS rebinding needs a host name.
			expect((await at("10.0.0.2:6420")).status).toBe(200);
			expect((await at("[fd00::2]")).status).toBe(200);
		} finally {
			await open.close();
		}
	});
});

describe("a server on every interface without allowedHosts", () => {
	it("answers to IP addresses and localhost, never to a host name (DNS rebinding)", async () => {
		const open = await setup({ use: { board }, logLevel: "silent" }).start({
			port: 0,
			host: "0.0.0.0",
			storage: memoryDriver(),
		});
		try {
			const port = new URL(open.url).port;
			const at = (host: string) =>
				exactRequest(`http://127.0.0.1:${port}/health`, { headers: { host } });
			for (const host of [
				`127.0.0.1:${port}`,
				`10.1.2.3:${port}`,
				`[fd00::1]:${port}`,
				"localhost",
			])
				expect((await at(host)).status).toBe(200);
			const rebound = await exactRequest(`http://127.0.0.1:${port}${ACTION}`, {
				method: "POST",
				headers: {
					host: `attacker.example:${port}`,
					origin: `http://attacker.example:${port}`,
					"content-type": "application/json",
				},
				body: '{"args":[]}',
			});
			expect(rebound.body?.code).toBe("host_not_allowed");
		} finally {
			await open.close();
		}
	});
});

describe("cluster headers", () => {
	it("a client cannot pose as a cluster node", async () => {
		const forged = await exactRequest(`${base}${ACTION}`, {
			method: "POST",
			headers: {
				"x-tenon-peer": "guess",
				"x-tenon-forwarded-for": "10.0.0.1",
				"content-type": "application/json",
			},
			body: '{"args":[]}',
		});
		expect({ status: forged.status, code: forged.body?.code }).toEqual({
			status: 403,
			code: "forbidden",
		});
	});

	it("a refused Host spends its address's rate like any request (each was a free 403)", async () => {
		const open = await setup({
			use: { board },
			logLevel: "silent",
			allowedHosts: ["tenon.example"],
			rateLimits: { perAddress: { perSecond: 0.01, burst: 3 }, limitLoopback: true },
		}).start({ port: 0, host: "127.0.0.1", storage: memoryDriver() });
		try {
			const at = (host: string) =>
				exactRequest(`${open.url}/metadata`, { headers: { host } }).then((answer) => answer.status);
			expect([
				await at("evil.example"),
				await at("evil.example"),
				await at("evil.example"),
			]).toEqual([403, 403, 403]);
			// The address's budget is spent: refused for its rate, whatever Host it sends now.
			expect(await at("evil.example")).toBe(429);
			expect(await at("tenon.example")).toBe(429);
		} finally {
			await open.close();
		}
	});
});
