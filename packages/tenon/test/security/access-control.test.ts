// Access control, secure by default. Regressions: with no credentials, any
// caller could list every actor, destroy one, create actors around every
// hook (a getOrCreate created the actor even when the connect hook then
// refused the caller), reach an actor from any namespace, and present any
// gateway token. Each case runs against a real server (HTTP and WebSocket).
import { describe, expect, it } from "vitest";
import { actor, event, internalQueue, queue, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { outcome, postJson, rawRequest, rawSocket } from "../helpers/raw.js";

const ADMIN = "admin-token-0123456789abcdef";
const CLIENT_TOKEN = "client-token-0123456789abcdef";

const seen: { hook: string; request: any; params: unknown }[] = [];

const vault = actor({
	state: { secrets: [] as string[] },
	events: {
		news: event<string>(),
		audit: event<string>({ canSubscribe: (c) => c.conn.state.role === "admin" }),
	},
	queues: {
		tasks: queue<string>({ canPublish: (c) => c.conn.state.role === "admin" }),
		notes: queue<string>(),
		chores: internalQueue<string>(),
	},
	onBeforeCreate: (c, input) => {
		seen.push({ hook: "onBeforeCreate", request: c.request, params: c.params });
		if (c.key[0] === "forbidden") throw new UserError("no", { code: "forbidden" });
		if ((input as { owner?: string } | undefined)?.owner === "mallory")
			throw new UserError("not you", { code: "forbidden" });
	},
	onBeforeConnect: (c, params: { user?: string } | undefined) => {
		seen.push({ hook: "onBeforeConnect", request: c.request, params });
		if (params?.user === "mallory") throw new UserError("go away", { code: "unauthorized" });
	},
	createConnState: (c, params: { user?: string } | undefined) => ({
		role: params?.user === "root" ? "admin" : "user",
		cookie: c.request?.cookies.session,
	}),
	onRequest: () => new Response("raw"),
	actions: {
		add: (c, secret: string) => {
			c.state.secrets.push(secret);
			c.broadcast("news", secret);
			c.broadcast("audit", secret);
			return c.state.secrets.length;
		},
		whoami: (c) => ({
			role: c.conn.state.role,
			cookie: c.conn.state.cookie,
			address: c.request?.remoteAddress,
			token: c.request?.token,
			hasRequest: c.request !== undefined,
		}),
	},
});

const open = setup({ use: { vault }, logLevel: "silent" });
const managed = setup({ use: { vault }, logLevel: "silent", admin: { token: ADMIN } });
const tokened = setup({ use: { vault }, logLevel: "silent", clientToken: CLIENT_TOKEN });

const adminHeaders = { authorization: `Bearer ${ADMIN}` };

async function exists(url: string, key: string, namespace = "default"): Promise<boolean> {
	const answer = await rawRequest(
		`${url}/actors?name=vault&key=${encodeURIComponent(key)}&namespace=${namespace}`,
	);
	return answer.body.actors.length > 0;
}

describe("the management API", () => {
	it("is disabled without an admin token: no listing, no destroying", async () => {
		await using t = await setupTest(open);
		const id = await t.client.vault.getOrCreate("v").resolve();
		expect(outcome(await rawRequest(`${t.url}/actors?name=vault`))).toEqual({
			status: 403,
			group: "auth",
			code: "admin_disabled",
		});
		const destroy = await rawRequest(`${t.url}/actors/${id}`, { method: "DELETE" });
		expect(outcome(destroy)).toEqual({ status: 403, group: "auth", code: "admin_disabled" });
		expect(await t.client.vault.getForId(id).add("still here")).toBe(1);
		// Lookups by name and key (what get/getOrCreate need) stay open and never enumerate.
		expect(await exists(t.url, "v")).toBe(true);
		expect(await exists(t.url, "w")).toBe(false);
	});

	it("needs the admin token for listing and destroying when one is configured", async () => {
		await using t = await setupTest(managed);
		const id = await t.client.vault.getOrCreate("v").resolve();
		expect(outcome(await rawRequest(`${t.url}/actors?name=vault`)).status).toBe(401);
		const wrong = await rawRequest(`${t.url}/actors?name=vault`, {
			headers: { authorization: "Bearer not-the-admin-token-at-all" },
		});
		expect(outcome(wrong)).toEqual({ status: 403, group: "auth", code: "forbidden" });
		const listed = await rawRequest(`${t.url}/actors?name=vault`, { headers: adminHeaders });
		expect(listed.body.actors.map((a: { actor_id: string }) => a.actor_id)).toEqual([id]);
		expect((await rawRequest(`${t.url}/actors/${id}`, { method: "DELETE" })).status).toBe(401);
		expect(await exists(t.url, "v")).toBe(true);
		const destroyed = await rawRequest(`${t.url}/actors/${id}`, {
			method: "DELETE",
			headers: adminHeaders,
		});
		expect(destroyed.status).toBe(200);
		expect(await exists(t.url, "v")).toBe(false);
	});

	it("refuses admin tokens shorter than 16 characters", () => {
		const weak = setup({ use: { vault }, logLevel: "silent", admin: { token: "short" } });
		return expect(setupTest(weak)).rejects.toThrow(/at least 16 characters/);
	});

	// A token of 20 spaces was taken ("management API enabled") and could never be presented:
	// HTTP trims a header's spaces (an attacker probe of the defaults, 2026-11-28).
	it("refuses tokens no header can carry: spaces, controls, other than ASCII", async () => {
		for (const token of [
			" ".repeat(20),
			` ${"a".repeat(20)}`,
			`${"a".repeat(20)}\n`,
			"ä".repeat(20),
		]) {
			const weak = setup({ use: { vault }, logLevel: "silent", admin: { token } });
			await expect(setupTest(weak)).rejects.toThrow(/visible ASCII/);
		}
	});
});

describe("creating actors", () => {
	it("runs onBeforeCreate on every route, with the key, input, params and request", async () => {
		await using t = await setupTest(open);
		seen.length = 0;
		const refused = await postJson(
			`${t.url}/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=forbidden`,
			'{"args":["x"]}',
			{ "x-rivet-conn-params": '{"user":"ann"}', cookie: "session=s1" },
		);
		expect(outcome(refused)).toEqual({ status: 400, group: "user", code: "forbidden" });
		const created = seen.find((entry) => entry.hook === "onBeforeCreate");
		expect(created?.params).toEqual({ user: "ann" });
		expect(created?.request.cookies.session).toBe("s1");
		expect(created?.request.remoteAddress).toMatch(/127\.0\.0\.1/);
		for (const method of ["PUT", "POST"]) {
			const rest = await rawRequest(`${t.url}/actors`, {
				method,
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ name: "vault", key: "forbidden" }),
			});
			expect(outcome(rest)).toEqual({ status: 400, group: "user", code: "forbidden" });
		}
		await expect(
			t.client.vault.getOrCreate("mine", { createWithInput: { owner: "mallory" } }).add("x"),
		).rejects.toMatchObject({ code: "forbidden" });
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=forbidden`,
			["rivet", "rivet_encoding.json"],
		);
		expect((await socket.closed).reason).toBe("user.forbidden");
		expect(await exists(t.url, "forbidden")).toBe(false);
		expect(await exists(t.url, "mine")).toBe(false);
	});

	it("leaves no actor behind when the connect hooks refuse the caller that created it", async () => {
		await using t = await setupTest(open);
		const mallory = { "x-rivet-conn-params": '{"user":"mallory"}' };
		const action = await postJson(
			`${t.url}/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=a`,
			'{"args":["x"]}',
			mallory,
		);
		expect(outcome(action)).toEqual({ status: 400, group: "user", code: "unauthorized" });
		const raw = await rawRequest(
			`${t.url}/gateway/vault/request/x?rvt-method=getOrCreate&rvt-key=b`,
			{ headers: mallory },
		);
		expect(raw.status).toBe(400);
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=c`,
			[
				"rivet",
				"rivet_encoding.json",
				`rivet_conn_params.${encodeURIComponent('{"user":"mallory"}')}`,
			],
		);
		expect((await socket.closed).reason).toBe("user.unauthorized");
		// A call that fails before the hooks ran (no such handler) creates nothing either.
		const noHandler = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/vault/websocket/x?rvt-method=getOrCreate&rvt-key=e`,
			[],
		);
		expect((await noHandler.closed).reason).toBe("actor.handler_not_found");
		await t.settle();
		for (const key of ["a", "b", "c", "e"]) expect(await exists(t.url, key)).toBe(false);
		// An actor that existed before the refused caller is left alone.
		await t.client.vault.getOrCreate("d", { params: { user: "ann" } }).add("kept");
		await postJson(
			`${t.url}/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=d`,
			'{"args":["x"]}',
			mallory,
		);
		expect(await exists(t.url, "d")).toBe(true);
	});
});

describe("undoing a refused caller's creation", () => {
	it("never destroys an actor another caller was accepted by meanwhile", async () => {
		let releaseMallory: () => void = () => {};
		const malloryWaits = new Promise<void>((resolve) => {
			releaseMallory = resolve;
		});
		const room = actor({
			state: { messages: [] as string[] },
			onBeforeConnect: async (_c, params: { user?: string } | undefined) => {
				if (params?.user === "mallory") {
					await malloryWaits;
					throw new UserError("no", { code: "unauthorized" });
				}
			},
			actions: {
				say: (c, text: string) => c.state.messages.push(text),
				read: (c) => c.state.messages,
			},
		});
		await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }));
		// Mallory's getOrCreate creates the room, then waits in the hooks...
		const mallory = postJson(
			`${t.url}/gateway/room/action/read?rvt-method=getOrCreate&rvt-key=k`,
			'{"args":[]}',
			{ "x-rivet-conn-params": '{"user":"mallory"}' },
		);
		await expect
			.poll(async () => (await rawRequest(`${t.url}/actors?name=room&key=k`)).body.actors.length)
			.toBe(1);
		// ...Alice is accepted and her write acknowledged...
		const alice = t.client.room.getOrCreate("k", { params: { user: "alice" } });
		expect(await alice.say("hello")).toBe(1);
		// ...then Mallory is refused: the room stays, with Alice's message.
		releaseMallory();
		expect((await mallory).status).toBe(400);
		await t.settle();
		expect(await alice.read()).toEqual(["hello"]);
	});
});

describe("namespaces", () => {
	it("are enforced for actors addressed by id, and for destroy", async () => {
		await using t = await setupTest(managed);
		const id = await t.client.vault.getOrCreate("n").resolve();
		const elsewhere = await postJson(
			`${t.url}/gateway/${id}/action/add?rvt-namespace=other`,
			'{"args":["x"]}',
		);
		expect(outcome(elsewhere)).toEqual({ status: 404, group: "actor", code: "not_found" });
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/${id}/connect?rvt-namespace=other`,
			["rivet", "rivet_encoding.json"],
		);
		expect((await socket.closed).reason).toBe("actor.not_found");
		const destroy = await rawRequest(`${t.url}/actors/${id}?namespace=other`, {
			method: "DELETE",
			headers: adminHeaders,
		});
		expect(destroy.status).toBe(404);
		const byIds = await rawRequest(`${t.url}/actors?actor_ids=${id}&namespace=other`);
		expect(byIds.body.actors).toEqual([]);
		expect(await t.client.vault.getForId(id).add("still here")).toBe(1);
	});
});

describe("the client token", () => {
	it("when configured, is required on every client route, however it is sent", async () => {
		await using t = await setupTest(tokened);
		const url = (token = "") =>
			`${t.url}/gateway/vault/action/whoami?rvt-method=getOrCreate&rvt-key=t${token}`;
		expect(outcome(await postJson(url(), '{"args":[]}')).status).toBe(401);
		const wrong = await postJson(url("&rvt-token=wrong-token-0123456789"), '{"args":[]}');
		expect(outcome(wrong)).toEqual({ status: 403, group: "auth", code: "forbidden" });
		const viaQuery = await postJson(url(`&rvt-token=${CLIENT_TOKEN}`), '{"args":[]}');
		expect(viaQuery.status).toBe(200);
		const viaHeader = await postJson(url(), '{"args":[]}', { "x-rivet-token": CLIENT_TOKEN });
		expect(viaHeader.status).toBe(200);
		const viaBearer = await postJson(url(), '{"args":[]}', {
			authorization: `Bearer ${CLIENT_TOKEN}`,
		});
		expect(viaBearer.status).toBe(200);
		const id =
			viaQuery.body.output &&
			(
				await rawRequest(`${t.url}/actors?name=vault&key=t`, {
					headers: { "x-rivet-token": CLIENT_TOKEN },
				})
			).body.actors[0].actor_id;
		const direct = await postJson(
			`${t.url}/gateway/${id}@${CLIENT_TOKEN}/action/whoami`,
			'{"args":[]}',
		);
		expect(direct.status).toBe(200);
		const forged = await postJson(
			`${t.url}/gateway/${id}@forged-token-0123456789/action/whoami`,
			'{"args":[]}',
		);
		expect(forged.status).toBe(403);
		// Lookups and creation need it too.
		expect((await rawRequest(`${t.url}/actors?name=vault&key=t`)).status).toBe(401);
		const create = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: '{"name":"vault","key":"u"}',
		});
		expect(create.status).toBe(401);
		// WebSockets: in the URL, or as the rivet_token sub-protocol.
		const refused = await rawSocket(`${t.url.replace("http", "ws")}/gateway/${id}/connect`, [
			"rivet",
			"rivet_encoding.json",
		]);
		expect((await refused.closed).reason).toBe("auth.unauthorized");
		const accepted = await rawSocket(`${t.url.replace("http", "ws")}/gateway/${id}/connect`, [
			"rivet",
			"rivet_encoding.json",
			`rivet_token.${CLIENT_TOKEN}`,
		]);
		await expect.poll(() => accepted.messages.length).toBe(1);
		expect(accepted.decoded()[0].body.tag).toBe("Init");
		accepted.ws.close();
	});

	it("when not configured, reaches the hooks for them to verify", async () => {
		await using t = await setupTest(open);
		const answer = await postJson(
			`${t.url}/gateway/vault/action/whoami?rvt-method=getOrCreate&rvt-key=w&rvt-token=user-jwt`,
			'{"args":[]}',
		);
		expect(answer.body.output).toMatchObject({ token: "user-jwt", hasRequest: true });
	});
});

describe("what hooks and actions see of the caller", () => {
	it("the request in connect hooks and HTTP actions; over a connection, what the hooks kept", async () => {
		await using t = await setupTest(open);
		const http = await postJson(
			`${t.url}/gateway/vault/action/whoami?rvt-method=getOrCreate&rvt-key=s`,
			'{"args":[]}',
			{ cookie: "session=abc; other=1", "x-rivet-conn-params": '{"user":"root"}' },
		);
		expect(http.body.output).toMatchObject({
			role: "admin",
			cookie: "abc",
			hasRequest: true,
			address: expect.stringMatching(/127\.0\.0\.1/),
		});
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=s`,
			["rivet", "rivet_encoding.json", `rivet_conn_params.${encodeURIComponent('{"user":"ann"}')}`],
			{ cookie: "session=xyz" },
		);
		await expect.poll(() => socket.messages.length).toBe(1);
		socket.ws.send(
			JSON.stringify({ body: { tag: "ActionRequest", val: { id: 1, name: "whoami", args: [] } } }),
		);
		await expect.poll(() => socket.messages.length).toBe(2);
		expect(socket.decoded()[1].body.val.output).toMatchObject({
			role: "user",
			cookie: "xyz",
			hasRequest: false,
		});
		socket.ws.close();
	});

	it("cannot change the request headers other hooks see", async () => {
		const tamper = actor({
			state: {},
			onBeforeConnect: (c) => {
				c.request?.headers.set("x-role", "admin");
			},
			actions: { ping: () => "pong" },
		});
		await using t = await setupTest(setup({ use: { tamper }, logLevel: "silent" }));
		await expect(t.client.tamper.getOrCreate("x").ping()).rejects.toMatchObject({
			code: "internal_error",
		});
	});
});

describe("internal-only actors", () => {
	it("see c.request.internal for calls from other actors, never for the network", async () => {
		const ledger = actor({
			state: { total: 0 },
			onBeforeConnect: (c) => {
				if (!c.request?.internal) throw new UserError("internal service", { code: "forbidden" });
			},
			actions: { credit: (c, amount: number) => (c.state.total += amount) },
		});
		const shop = actor({
			state: {},
			actions: {
				buy: (c) => c.client<typeof registry>().ledger.getOrCreate("main").credit(5),
			},
		});
		const registry = setup({ use: { ledger, shop }, logLevel: "silent" });
		await using t = await setupTest(registry);
		expect(await t.client.shop.getOrCreate("s").buy()).toBe(5);
		await expect(t.client.ledger.getOrCreate("main").credit(100)).rejects.toMatchObject({
			code: "forbidden",
		});
		// A forged header does not make a network request internal.
		const forged = await postJson(
			`${t.url}/gateway/ledger/action/credit?rvt-method=getOrCreate&rvt-key=main`,
			'{"args":[100]}',
			{ "x-tenon-internal": "1" },
		);
		expect(forged.status).toBe(400);
		expect(await t.client.shop.getOrCreate("s").buy()).toBe(10);
	});
});

describe("per-event and per-queue checks", () => {
	it("canSubscribe refuses a subscription, and the connection stays usable", async () => {
		await using t = await setupTest(open);
		const user = t.client.vault.getOrCreate("e", { params: { user: "ann" } }).connect();
		const root = t.client.vault.getOrCreate("e", { params: { user: "root" } }).connect();
		const seenByUser: string[] = [];
		const seenByRoot: string[] = [];
		const refusals: unknown[] = [];
		user.onError((error) => refusals.push(error));
		user.on("audit", (value) => seenByUser.push(`audit:${value}`));
		user.on("news", (value) => seenByUser.push(`news:${value}`));
		root.on("audit", (value) => seenByRoot.push(`audit:${value}`));
		await expect.poll(() => refusals.length).toBe(1);
		expect(refusals[0]).toMatchObject({
			group: "auth",
			code: "forbidden",
			metadata: { eventName: "audit" },
		});
		await root.add("s1");
		await expect.poll(() => seenByRoot).toEqual(["audit:s1"]);
		await expect.poll(() => seenByUser).toEqual(["news:s1"]);
		expect(await user.add("s2")).toBe(2);
		await user.dispose();
		await root.dispose();
	});

	it("canPublish refuses a client's queue send with auth/forbidden", async () => {
		await using t = await setupTest(open);
		const asUser = t.client.vault.getOrCreate("q", { params: { user: "ann" } });
		await expect(asUser.send("tasks", "x")).rejects.toMatchObject({
			group: "auth",
			code: "forbidden",
		});
		await asUser.send("notes", "fine");
		await t.client.vault.getOrCreate("q", { params: { user: "root" } }).send("tasks", "ok");
		// An internal queue refuses every client, whoever it is.
		const asRoot = t.client.vault.getOrCreate("q", { params: { user: "root" } });
		// @ts-expect-error: an internal queue
		await expect(asRoot.send("chores", "x")).rejects.toMatchObject({
			group: "auth",
			code: "forbidden",
		});
	});
});

describe("the default interface", () => {
	it("is loopback", async () => {
		const server = await setup({ use: { vault }, logLevel: "silent", storage: undefined }).start({
			port: 0,
			storage: (await import("../../src/index.js")).memoryDriver(),
		});
		try {
			expect(server.host).toBe("127.0.0.1");
		} finally {
			await server.close();
		}
	});
});
