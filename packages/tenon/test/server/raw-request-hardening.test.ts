// A raw `onRequest` refused by `onBeforeConnect` (2026-11-26), on a real
// server: the client gets the hook's error as it would on any transport, and
// a hook that fails is logged as the hook's failure, not as `onRequest`'s.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createLogger } from "../../src/common/logger.js";
import { actor, setup, UserError } from "../../src/index.js";
import { ActorError } from "../../src/protocol/errors.js";
import { setupTest } from "../../src/test/index.js";

const logged: { level: string; message: string }[] = [];

const guarded = actor({
	state: {},
	onBeforeConnect: (_c, params: { as?: string } | undefined) => {
		if (params?.as === "stranger") throw new UserError("not you", { code: "not_allowed" });
		if (params?.as === "forged") throw new ActorError("auth", "forbidden", "bad ticket");
		if (params?.as === "buggy") throw new Error("the hook has a bug");
	},
	onRequest: () => new Response("ok"),
	onWebSocket: (_c, socket) => socket.send("hi"),
	actions: { ping: () => "pong" },
});

const registry = setup({
	use: { guarded },
	logger: createLogger({
		level: "warn",
		sink: (level, message) => logged.push({ level, message }),
	}),
});

/** How each transport answers a caller with `params`: `group/code` (or `ok`). */
async function answers(base: string, actorId: string, params: unknown): Promise<string[]> {
	const header = { "x-rivet-conn-params": JSON.stringify(params) };
	const ofBody = async (response: Response) => {
		if (response.ok) return "ok";
		const body = (await response.json()) as { group: string; code: string };
		return `${body.group}/${body.code}`;
	};
	const raw = await ofBody(
		await fetch(`${base}/gateway/${actorId}/request/x`, { headers: header }),
	);
	const action = await ofBody(
		await fetch(`${base}/gateway/${actorId}/action/ping`, {
			method: "POST",
			headers: { ...header, "content-type": "application/json" },
			body: "{}",
		}),
	);
	const protocols = [
		"rivet",
		"rivet_encoding.json",
		`rivet_conn_params.${encodeURIComponent(JSON.stringify(params))}`,
	];
	const closeReason = (path: string) => socketAnswer(base, actorId, path, protocols);
	return [raw, action, await closeReason("/connect"), await closeReason("/websocket/x")];
}

/** How a socket to the actor's `path` is answered: `group/code` of its close, or `ok`. */
function socketAnswer(
	base: string,
	actorId: string,
	path: string,
	protocols: string[],
	headers: Record<string, string> = {},
): Promise<string> {
	return new Promise<string>((resolve, reject) => {
		const socket = new WebSocket(
			`${base.replace("http", "ws")}/gateway/${actorId}${path}`,
			protocols,
			{
				headers,
			},
		);
		socket.on("message", (data) => {
			// A refusal's Error frame comes before its close; an Init frame or a greeting: open.
			if (data.toString().includes('"Error"')) return;
			socket.close();
			resolve("ok");
		});
		socket.on("close", (_code, reason) => resolve(reason.toString().replace(".", "/")));
		socket.on("error", reject);
	});
}

describe("raw onRequest refused by onBeforeConnect", () => {
	it("answers the hook's group/code, as an action, a connection and a raw socket get", async () => {
		await using t = await setupTest(registry);
		const actorId = await t.client.guarded.getOrCreate("door").resolve();
		logged.length = 0;
		expect(await answers(t.url, actorId, { as: "stranger" })).toEqual(
			Array(4).fill("user/not_allowed"),
		);
		expect(await answers(t.url, actorId, { as: "forged" })).toEqual(
			Array(4).fill("auth/forbidden"),
		);
		expect(await answers(t.url, actorId, { as: "member" })).toEqual(Array(4).fill("ok"));
		// A refusal is the hook's answer, not a failure: nothing is logged.
		expect(logged).toEqual([]);
		// A hook that throws a plain Error is a bug: hidden from the client on every transport.
		expect(await answers(t.url, actorId, { as: "buggy" })).toEqual(
			Array(4).fill("core/internal_error"),
		);
	});

	// Before (2026-11-26), a failing hook was logged as "error in onRequest" (and "error in
	// action 'ping'", "error in onWebSocket"): prepareConn now logs it as the hooks' own.
	it("logs a failing hook as the connect hooks' error, not as onRequest's", async () => {
		await using t = await setupTest(registry);
		const actorId = await t.client.guarded.getOrCreate("logs").resolve();
		logged.length = 0;
		await answers(t.url, actorId, { as: "buggy" });
		const errorsLogged = logged
			.filter((line) => line.level === "error")
			.map((line) => line.message);
		expect(errorsLogged).toHaveLength(4);
		for (const message of errorsLogged) {
			expect(message).toContain("connect hooks");
			expect(message).not.toContain("onRequest");
		}
	});

	// The `x-rivet-conn-params` header reached HTTP routes but not sockets: an upgrade's params
	// came from its sub-protocol alone, and were none without one (an audit, 2026-11-27).
	it("takes a socket's params from the header when no sub-protocol carries them", async () => {
		await using t = await setupTest(registry);
		const actorId = await t.client.guarded.getOrCreate("header").resolve();
		const closeReason = (path: string, as: string) =>
			socketAnswer(t.url, actorId, path, ["rivet", "rivet_encoding.json"], {
				"x-rivet-conn-params": JSON.stringify({ as }),
			});
		for (const path of ["/connect", "/websocket/x"]) {
			expect(await closeReason(path, "stranger"), path).toBe("user/not_allowed");
			expect(await closeReason(path, "member"), path).toBe("ok");
		}
	});
});
