// A connection the server refuses for good stops trying, whichever route it
// took: the gateway's query form (the WebSocket is closed with 1008) or the
// REST API (a key with a comma, an input over 2 KiB: the actor is resolved
// with PUT /actors first, whose refusal is an HTTP 4xx). A refusal that says
// "later" (rate limits, overload) is retried.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { ActorError, actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

type Params = { token?: string; code?: string } | undefined;

/** The refusals a test asks for, by token. */
function refuse(params: Params): void {
	switch (params?.token) {
		case "ok":
			return;
		case "forbidden":
			throw new ActorError("auth", "forbidden", "Forbidden: not yours");
		default:
			throw new UserError("Unauthorized", { code: "unauthorized" });
	}
}

/** Refused with `limit/overloaded` twice, then let in. */
let overloadsLeft = 0;

const guarded = actor({
	state: { n: 0 },
	onBeforeCreate: (c) => refuse(c.params as Params),
	onBeforeConnect: (_c, params: Params) => refuse(params),
	actions: { get: (c) => c.state.n },
});

const busy = actor({
	state: { n: 0 },
	onBeforeCreate: () => {
		if (overloadsLeft > 0) {
			overloadsLeft--;
			throw new ActorError("limit", "overloaded", "Busy; retry shortly", { retryAfter: 10 });
		}
	},
	actions: { get: (c) => c.state.n },
});

/** How often each connect hook of `careless` ran. */
const hookRuns = { before: 0, connect: 0 };

/** Refuses with plain errors, as RivetKit's docs show (`throw new Error("Invalid authentication")`). */
const careless = actor({
	state: { n: 0 },
	onBeforeCreate: (c) => {
		if ((c.params as Params)?.token === "nocreate") throw new Error("Not allowed to create");
	},
	onBeforeConnect: (_c, params: Params) => {
		hookRuns.before++;
		if (params?.token === "bad") throw new Error("Invalid authentication");
	},
	onConnect: (_c, conn) => {
		hookRuns.connect++;
		// A bug: reads a field of params the client did not send.
		(conn.params as { user: { name: string } }).user.name;
	},
	actions: { get: (c) => c.state.n },
});

const registry = setup({ use: { guarded, busy, careless }, logLevel: "silent" });

const fastReconnect = { minDelayMs: 20, maxDelayMs: 40 };

describe("refused connections", () => {
	it.each([
		["the query form (WebSocket closed with 1008)", "plain", undefined],
		["the REST route, for a key with a comma", "a,b", undefined],
		["the REST route, for an input over 2 KiB", "big", { blob: "x".repeat(4_000) }],
	])("a connection refused through %s gives up with one error", async (_route, key, input) => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url, reconnect: fastReconnect });
		const conn = client.guarded
			.getOrCreate(key, {
				params: { token: "bad" },
				...(input === undefined ? {} : { createWithInput: input }),
			})
			.connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect.poll(() => conn.connStatus).toBe("idle");
		expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual(["user/unauthorized"]);
		// Later calls fail with the refusal, without another attempt.
		await expect(conn.get()).rejects.toMatchObject({ code: "unauthorized" });
		expect(errors).toHaveLength(1);
		await client.dispose();
	});

	it("a connection the REST route refuses as forbidden gives up", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url, reconnect: fastReconnect });
		const conn = client.guarded.getOrCreate("c,d", { params: { token: "forbidden" } }).connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect.poll(() => conn.connStatus).toBe("idle");
		expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual(["auth/forbidden"]);
		await client.dispose();
	});

	it("a connection the REST route turns away as overloaded is retried and opens", async () => {
		await using t = await setupTest(registry);
		overloadsLeft = 2;
		const client = createClient<typeof registry>({ endpoint: t.url, reconnect: fastReconnect });
		const conn = client.busy.getOrCreate("e,f").connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect.poll(() => conn.connStatus).toBe("connected");
		expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual([
			"limit/overloaded",
			"limit/overloaded",
		]);
		expect(await conn.get()).toBe(0);
		await client.dispose();
	});

	// The server answered in JSON text before it had read the encoding, and a CBOR or BARE
	// client read `client/bad_message` and reconnected forever (a walkthrough, 2026-11-28).
	it.each(["json", "cbor", "bare"] as const)(
		"params over their limit are refused for good, in the connection's encoding (%s)",
		async (encoding) => {
			await using t = await setupTest(registry);
			const client = createClient<typeof registry>({
				endpoint: t.url,
				encoding,
				reconnect: fastReconnect,
			});
			const conn = client.guarded
				.getOrCreate("big-params", { params: { token: "ok", code: "p".repeat(5_000) } })
				.connect();
			const errors: ActorError[] = [];
			conn.onError((error) => errors.push(error));
			await expect(conn.get()).rejects.toMatchObject({
				group: "request",
				code: "conn_params_too_long",
			});
			expect(conn.connStatus).toBe("idle");
			expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual([
				"request/conn_params_too_long",
			]);
			await client.dispose();
		},
	);

	// A connect hook that threw a plain Error closed the socket with 1011, which the client
	// reconnected after, running the hooks again every backoff, its calls never settled
	// (a RivetKit parity sweep, 2026-11-29). Refused while opening is refused for good (1008).
	it.each([
		["onBeforeConnect throws new Error(...)", { token: "bad" }, { before: 1, connect: 0 }],
		["onConnect throws a TypeError", { token: "ok" }, { before: 1, connect: 1 }],
		["onBeforeCreate throws new Error(...)", { token: "nocreate" }, { before: 0, connect: 0 }],
	])("a connection whose %s gives up with core/internal_error", async (_what, params, runs) => {
		await using t = await setupTest(registry);
		hookRuns.before = 0;
		hookRuns.connect = 0;
		const client = createClient<typeof registry>({ endpoint: t.url, reconnect: fastReconnect });
		const conn = client.careless.getOrCreate("plain", { params }).connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.get()).rejects.toMatchObject({ group: "core", code: "internal_error" });
		expect(conn.connStatus).toBe("idle");
		await new Promise((resolve) => setTimeout(resolve, 150)); // several backoffs
		expect(hookRuns).toEqual(runs);
		expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual(["core/internal_error"]);
		await client.dispose();
	});

	it("a connection whose onBeforeCreate throws new Error(...) on the REST route gives up", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url, reconnect: fastReconnect });
		const conn = client.careless
			.getOrCreate("rest,route", { params: { token: "nocreate" } })
			.connect();
		const errors: ActorError[] = [];
		conn.onError((error) => errors.push(error));
		await expect(conn.get()).rejects.toMatchObject({ group: "core", code: "internal_error" });
		expect(conn.connStatus).toBe("idle");
		await new Promise((resolve) => setTimeout(resolve, 150)); // several backoffs
		expect(errors.map((error) => `${error.group}/${error.code}`)).toEqual(["core/internal_error"]);
		await client.dispose();
	});
});
