// The inspector's action console against hostile bodies and callers without
// the admin token (2026-11-26), on a real server: each refusal has a stable
// group/code, the gateway's for the same body, and nothing is logged as a bug.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, setup } from "../../src/index.js";
import { MAX_ACTION_ARGS } from "../../src/protocol/messages.js";
import { setupTest } from "../../src/test/index.js";
import { ADMIN_TOKEN, call, INSPECTOR_TOKEN } from "./fixture.js";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const json = { "content-type": "application/json" };
const MiB = 1024 * 1024;

/** Errors the server logged: a refusal with a stable code is not one. */
const errorLogs: string[] = [];

const consoleActor = actor({
	state: { label: "new", calls: 0 },
	actions: {
		count: (c, ...args: unknown[]) => {
			c.state.calls++;
			return args.length;
		},
		rename: (c, label: string) => {
			c.state.label = label;
			return label;
		},
		big: (_c, length: number) => "x".repeat(length),
		calls: (c) => c.state.calls,
	},
});

const registry = setup({
	use: { consoleActor },
	admin: { token: ADMIN_TOKEN },
	inspector: { token: INSPECTOR_TOKEN },
	limits: { maxHttpBodyBytes: 4 * MiB },
	logger: createLogger({
		level: "warn",
		sink: (level, message) => {
			if (level === "error") errorLogs.push(message);
		},
	}),
});

describe("inspector action console: checked as a client's HTTP action", () => {
	it("refuses what the gateway refuses, with the same group/code, and keeps serving", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.consoleActor.getOrCreate("hostile");
		const actorId = await handle.resolve();
		errorLogs.length = 0;
		const zeros = (n: number) => `{"args":[${Array(n).fill(0).join(",")}]}`;
		const bodies: [string, string][] = [
			// Over MAX_ACTION_ARGS; 200,000 overflowed the stack when spread (core/internal_error).
			[zeros(MAX_ACTION_ARGS + 1), "request/invalid"],
			[zeros(200_000), "request/invalid"],
			[zeros(1_000_001), "request/malformed"],
			['{"args":"x"}', "request/invalid"],
			['{"args":{"length":3}}', "request/invalid"],
			['{"args":1}', "request/invalid"],
			[`{"args":${"[".repeat(5_000)}${"]".repeat(5_000)}}`, "request/invalid_value"],
			['{"args":[{"__proto__":{"polluted":true}}]}', "request/invalid_value"],
			['{"args":[1]', "request/malformed"],
			['"args"', "request/invalid"],
			["[1,2]", "request/invalid"],
			["null", "request/invalid"],
			[`{"args":["${"y".repeat(5 * MiB)}"]}`, "message/incoming_too_long"],
		];
		for (const [body, expected] of bodies) {
			const refused = await call(`${t.url}/inspector/actors/${actorId}/actions/count`, {
				method: "POST",
				headers: { ...admin, ...json },
				body,
			});
			expect(`${refused.body.group}/${refused.body.code}`, body.slice(0, 40)).toBe(expected);
			expect(refused.status).toBeGreaterThanOrEqual(400);
			expect(refused.status).toBeLessThan(500);
			// The gateway answers the same body the same way.
			const gateway = await call(`${t.url}/gateway/${actorId}/action/count`, {
				method: "POST",
				headers: json,
				body,
			});
			expect(`${gateway.body.group}/${gateway.body.code}`, body.slice(0, 40)).toBe(expected);
		}
		const names: [string, string][] = [
			["n".repeat(257), "request/invalid"],
			["%E0%A4%A", "request/invalid"],
			["nope", "actor/action_not_found"],
			["__proto__", "actor/action_not_found"],
			["constructor", "actor/action_not_found"],
			["hasOwnProperty", "actor/action_not_found"],
		];
		for (const [name, expected] of names) {
			const refused = await call(`${t.url}/inspector/actors/${actorId}/actions/${name}`, {
				method: "POST",
				headers: { ...admin, ...json },
				body: "{}",
			});
			expect(`${refused.body.group}/${refused.body.code}`, name.slice(0, 20)).toBe(expected);
		}
		const headers: [Record<string, string>, string][] = [
			[{ "content-type": "text/plain" }, "request/unsupported_content_type"],
			[{ "x-rivet-conn-params": "{" }, "request/conn_params_invalid"],
			[
				{ "x-rivet-conn-params": JSON.stringify("p".repeat(5_000)) },
				"request/conn_params_too_long",
			],
		];
		for (const [extra, expected] of headers) {
			const refused = await call(`${t.url}/inspector/actors/${actorId}/actions/count`, {
				method: "POST",
				headers: { ...admin, ...json, ...extra },
				body: '{"args":[1]}',
			});
			expect(`${refused.body.group}/${refused.body.code}`).toBe(expected);
		}
		const unknownActor = await call(`${t.url}/inspector/actors/nobody/actions/count`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: "{}",
		});
		expect(unknownActor.body).toMatchObject({ group: "actor", code: "not_found" });

		// Nothing ran, nothing was logged as a bug, and the console still works.
		expect(await handle.calls()).toBe(0);
		expect(errorLogs).toEqual([]);
		const ran = await call(`${t.url}/inspector/actors/${actorId}/actions/count`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: zeros(MAX_ACTION_ARGS),
		});
		expect(ran.status).toBe(200);
		expect(ran.body).toMatchObject({ output: MAX_ACTION_ARGS });
	}, 60_000);

	it("gives an action well-formed strings, as the gateway does: a lone surrogate is U+FFFD", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.consoleActor.getOrCreate("surrogate");
		const actorId = await handle.resolve();
		const ran = await call(`${t.url}/inspector/actors/${actorId}/actions/rename`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: '{"args":["a\\ud800b"]}',
		});
		// Before, the actor got the lone surrogate and its commit failed (500 state/not_serializable).
		expect(ran.status).toBe(200);
		expect(ran.body).toMatchObject({ output: "a\ufffdb" });
		const gateway = await call(`${t.url}/gateway/${actorId}/action/rename`, {
			method: "POST",
			headers: json,
			body: '{"args":["c\\ud800d"]}',
		});
		expect(gateway.body).toMatchObject({ output: "c\ufffdd" });
	});

	it("refuses a reply over maxHttpBodyBytes, as the gateway does", async () => {
		await using t = await setupTest(registry);
		const actorId = await t.client.consoleActor.getOrCreate("big").resolve();
		const url = (base: string) => `${t.url}${base}/${actorId}`;
		const console = await call(`${url("/inspector/actors")}/actions/big`, {
			method: "POST",
			headers: { ...admin, ...json },
			body: JSON.stringify({ args: [5 * MiB] }),
		});
		expect(console.body).toMatchObject({ group: "message", code: "outgoing_too_long" });
		const gateway = await call(`${url("/gateway")}/action/big`, {
			method: "POST",
			headers: json,
			body: JSON.stringify({ args: [5 * MiB] }),
		});
		expect(gateway.body).toMatchObject({ group: "message", code: "outgoing_too_long" });
	});

	it("runs actions for the admin token only, and nothing without one configured", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.consoleActor.getOrCreate("auth");
		const actorId = await handle.resolve();
		const run = (base: string, headers: Record<string, string>) =>
			call(`${base}/inspector/actors/${actorId}/actions/count`, {
				method: "POST",
				headers: { ...json, ...headers },
				body: '{"args":[1]}',
			});
		const cases: [Record<string, string>, number, string][] = [
			[{}, 401, "auth/unauthorized"],
			[reader, 403, "auth/forbidden"],
			[{ authorization: "Bearer not-a-token" }, 403, "auth/forbidden"],
			[{ "x-rivet-token": INSPECTOR_TOKEN }, 403, "auth/forbidden"],
			// A page of another site cannot make the admin's browser run one.
			[{ ...admin, origin: "https://evil.example" }, 403, "auth/origin_not_allowed"],
		];
		for (const [headers, status, expected] of cases) {
			const refused = await run(t.url, headers);
			expect(`${refused.body.group}/${refused.body.code}`, JSON.stringify(headers)).toBe(expected);
			expect(refused.status).toBe(status);
		}
		expect(await handle.calls()).toBe(0);

		const readOnly = setup({
			use: { consoleActor },
			inspector: { token: INSPECTOR_TOKEN },
			logLevel: "silent",
		});
		await using r = await setupTest(readOnly);
		const noAdmin = await call(`${r.url}/inspector/actors/${actorId}/actions/count`, {
			method: "POST",
			headers: { ...json, ...reader },
			body: "{}",
		});
		expect(noAdmin.body).toMatchObject({ group: "auth", code: "admin_disabled" });
		const closed = setup({ use: { consoleActor }, logLevel: "silent" });
		await using c = await setupTest(closed);
		const disabled = await call(`${c.url}/inspector/actors/${actorId}/actions/count`, {
			method: "POST",
			headers: { ...json, ...admin },
			body: "{}",
		});
		expect(disabled.body).toMatchObject({ group: "auth", code: "inspector_disabled" });
	});
});
