// Every kind of bad input gets a stable group/code error (or a clean close),
// the server keeps serving, and stored state stays intact.
import { gzipSync } from "node:zlib";
import { Encoder } from "cbor-x";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";

const vault = actor({
	state: { value: 0 },
	onBeforeConnect: (_c, params: { token?: string } | undefined) => {
		if (params?.token === "reject") throw new UserError("go away", { code: "unauthorized" });
	},
	actions: {
		add: (c, n: number) => {
			if (typeof n !== "number")
				throw new UserError("n must be a number", { code: "invalid_argument" });
			c.state.value += n;
			return c.state.value;
		},
		get: (c) => c.state.value,
		huge: () => "x".repeat(4096),
		shout: (c) => {
			c.broadcast("loud", "y".repeat(4096));
			return "ok";
		},
	},
});

const ADMIN = "admin-token-for-bad-input-tests";
const registry = setup({
	use: { vault },
	logLevel: "silent",
	admin: { token: ADMIN },
	limits: {
		maxHttpBodyBytes: 2048,
		maxIncomingMessageBytes: 1024,
		maxOutgoingMessageBytes: 1024,
		maxConnParamsBytes: 128,
		maxInputBytes: 256,
	},
});

type Ctx = TestContext<typeof registry>;

async function post(
	t: Ctx,
	path: string,
	body: BodyInit | null,
	headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
	const response = await fetch(`${t.url}${path}`, {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body,
	});
	const bytes = new Uint8Array(await response.arrayBuffer());
	if (bytes.length === 0) return { status: response.status, body: undefined };
	const isJson = response.headers.get("content-type")?.includes("json");
	return {
		status: response.status,
		body: isJson
			? JSON.parse(new TextDecoder().decode(bytes))
			: new Encoder({ useRecords: false }).decode(bytes),
	};
}

const ACTION = "/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=v";

/** The server still answers and the stored value is what the good calls made it. */
async function assertHealthy(t: Ctx, expected: number): Promise<void> {
	expect(await t.client.vault.getOrCreate("v").get()).toBe(expected);
}

describe("bad input over HTTP", () => {
	it("rejects malformed bodies, encodings and shapes with stable codes", async () => {
		await using t = await setupTest(registry);
		expect(await t.client.vault.getOrCreate("v").add(5)).toBe(5);
		const cases: [BodyInit | null, Record<string, string>, number, string, string][] = [
			["{not json", {}, 400, "request", "malformed"],
			[
				new Uint8Array([0xff, 0xfe, 0x00]),
				{ "x-rivet-encoding": "cbor" },
				400,
				"request",
				"malformed",
			],
			['{"args":[1]}', { "x-rivet-encoding": "xml" }, 400, "request", "unsupported_encoding"],
			['{"args":"1"}', {}, 400, "request", "invalid"],
			["[1,2]", {}, 400, "request", "invalid"],
			['"str"', {}, 400, "request", "invalid"],
			['{"args":[["$BigInt","nope"]]}', {}, 400, "request", "malformed"],
			['{"args":[["$Evil",1]]}', {}, 400, "request", "malformed"],
			['{"args":["five"]}', {}, 400, "user", "invalid_argument"],
			["x".repeat(3000), {}, 400, "message", "incoming_too_long"],
			// A coding the server does not apply: the body was read as it came (a probe).
			[
				'{"args":[1]}',
				{ "content-encoding": "gzip" },
				415,
				"request",
				"unsupported_content_encoding",
			],
			[
				gzipSync('{"args":[1]}'),
				{ "content-encoding": "GZIP, identity" },
				415,
				"request",
				"unsupported_content_encoding",
			],
		];
		for (const [body, headers, status, group, code] of cases) {
			const answer = await post(t, ACTION, body, headers);
			expect({ status: answer.status, group: answer.body?.group, code: answer.body?.code }).toEqual(
				{ status, group, code },
			);
			expect(typeof answer.body.message).toBe("string");
		}
		await assertHealthy(t, 5);
		const identity = await post(t, ACTION, '{"args":[1]}', { "content-encoding": "identity" });
		expect(identity.status).toBe(200);
	});

	it("answers CBOR requests with CBOR errors", async () => {
		await using t = await setupTest(registry);
		const cbor = new Encoder({ useRecords: false });
		const response = await fetch(
			`${t.url}/gateway/vault/action/nope?rvt-method=getOrCreate&rvt-key=v`,
			{
				method: "POST",
				headers: { "x-rivet-encoding": "cbor", "content-type": "application/octet-stream" },
				body: new Uint8Array(cbor.encode({ args: [] })),
			},
		);
		expect(response.status).toBe(404);
		expect(cbor.decode(new Uint8Array(await response.arrayBuffer()))).toMatchObject({
			group: "actor",
			code: "action_not_found",
		});
	});

	it("rejects unknown actors, actions, routes and methods", async () => {
		await using t = await setupTest(registry);
		const cases: [string, string, number, string, string][] = [
			[
				"POST",
				"/gateway/nosuch/action/add?rvt-method=getOrCreate&rvt-key=v",
				404,
				"actor",
				"not_found",
			],
			[
				"POST",
				"/gateway/vault/action/nosuch?rvt-method=getOrCreate&rvt-key=v",
				404,
				"actor",
				"action_not_found",
			],
			[
				"POST",
				"/gateway/vault/action/?rvt-method=getOrCreate&rvt-key=v",
				400,
				"request",
				"invalid",
			],
			[
				"GET",
				"/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=v",
				405,
				"request",
				"method_not_allowed",
			],
			["POST", "/gateway/0123456789abcdef/action/add", 404, "actor", "not_found"],
			["POST", "/gateway/..%2F..%2Fetc/action/add", 404, "actor", "not_found"],
			["GET", "/nowhere", 404, "request", "route_not_found"],
			["DELETE", "/metadata", 405, "request", "method_not_allowed"],
			[
				"GET",
				"/gateway/vault/connect?rvt-method=get&rvt-key=v",
				426,
				"request",
				"upgrade_required",
			],
		];
		for (const [method, path, status, group, code] of cases) {
			const response = await fetch(`${t.url}${path}`, {
				method,
				...(method === "POST"
					? { body: '{"args":[]}', headers: { "content-type": "application/json" } }
					: {}),
			});
			const body = await response.json();
			expect({ path, status: response.status, group: body.group, code: body.code }).toEqual({
				path,
				status,
				group,
				code,
			});
		}
	});

	it("rejects malformed gateway queries, keys, params and input", async () => {
		await using t = await setupTest(registry);
		expect(await t.client.vault.getOrCreate("v").add(1)).toBe(1);
		const tooLongComponent = "k".repeat(129);
		const tooLongKey = Array.from({ length: 9 }, () => "k".repeat(120)).join(",");
		const cases: [string, Record<string, string>, number, string][] = [
			["/gateway/vault/action/add?rvt-method=getOrCreate&rvt-evil=1", {}, 400, "invalid_query"],
			[
				"/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=a&rvt-key=b",
				{},
				400,
				"invalid_query",
			],
			["/gateway/vault/action/add?rvt-method=destroy", {}, 400, "invalid_query"],
			["/gateway/vault/action/add?rvt-method=get&rvt-input=AAAA", {}, 400, "invalid_query"],
			["/gateway/vault/action/add?rvt-method=getOrCreate&rvt-input=!!!", {}, 400, "invalid_query"],
			[
				"/gateway/vault/action/add?rvt-method=getOrCreate&rvt-namespace=../x",
				{},
				400,
				"invalid_query",
			],
			[
				`/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=${tooLongComponent}`,
				{},
				400,
				"invalid_key",
			],
			[
				`/gateway/vault/action/add?rvt-method=getOrCreate&rvt-key=${tooLongKey}`,
				{},
				400,
				"invalid_key",
			],
			[
				`/gateway/vault/action/add?rvt-method=getOrCreate&rvt-input=${"A".repeat(400)}`,
				{},
				400,
				"input_too_long",
			],
			[ACTION, { "x-rivet-conn-params": "{oops" }, 400, "conn_params_invalid"],
			[
				ACTION,
				{ "x-rivet-conn-params": JSON.stringify({ pad: "p".repeat(200) }) },
				400,
				"conn_params_too_long",
			],
		];
		for (const [path, headers, status, code] of cases) {
			const answer = await post(t, path, '{"args":[1]}', headers);
			expect({ path, status: answer.status, code: answer.body?.code }).toEqual({
				path,
				status,
				code,
			});
		}
		const rest = await fetch(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "vault", key: "bad\\escape", input: "AAAA" }),
		});
		expect(rest.status).toBe(400);
		expect((await rest.json()).code).toBe("invalid_key");
		const restName = await fetch(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: 42 }),
		});
		expect((await restName.json()).code).toBe("invalid");
		// A body a browser form could send (text/plain) is refused before it is read.
		const plainText = await fetch(`${t.url}/actors`, {
			method: "PUT",
			body: JSON.stringify({ name: "vault", key: "v" }),
		});
		expect(plainText.status).toBe(415);
		expect((await plainText.json()).code).toBe("unsupported_content_type");
		await assertHealthy(t, 1);
	});

	it("refuses requests to destroyed actors", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.vault.getOrCreate("gone");
		const id = await handle.resolve();
		await handle.add(1);
		const destroy = () =>
			fetch(`${t.url}/actors/${id}`, {
				method: "DELETE",
				headers: { authorization: `Bearer ${ADMIN}` },
			});
		expect((await destroy()).status).toBe(200);
		const answer = await post(t, `/gateway/${id}/action/add`, '{"args":[1]}');
		expect(answer).toMatchObject({ status: 404, body: { group: "actor", code: "not_found" } });
		expect((await destroy()).status).toBe(404);
	});

	it("reports responses over the outgoing limit", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.vault.getOrCreate("v").connect();
		await expect(conn.huge()).rejects.toMatchObject({
			group: "message",
			code: "outgoing_too_long",
		});
		conn.on("loud", () => {});
		await expect(conn.shout()).rejects.toMatchObject({
			group: "message",
			code: "outgoing_too_long",
		});
		expect(await conn.get()).toBe(0);
		await conn.dispose();
	});
});

/** A raw WebSocket to the vault's connect route. */
async function rawSocket(
	t: Ctx,
	protocols: string[],
	path = "/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=v",
) {
	const ws = new WebSocket(`${t.url.replace("http", "ws")}${path}`, protocols);
	const messages: string[] = [];
	ws.on("message", (data) => messages.push(data.toString()));
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
	);
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	return { ws, messages, closed };
}

function frame(value: unknown): string {
	return JSON.stringify(value);
}

describe("bad input over WebSocket", () => {
	it("answers malformed frames with errors and keeps the connection", async () => {
		await using t = await setupTest(registry);
		const { ws, messages } = await rawSocket(t, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => messages.length).toBe(1);
		expect(JSON.parse(messages[0] as string).body.tag).toBe("Init");
		ws.send("{garbage");
		ws.send(frame({ body: { tag: "Nope", val: {} } }));
		ws.send(frame({ body: { tag: "ActionRequest", val: { id: 7, name: "add", args: "x" } } }));
		ws.send(frame({ body: { tag: "ActionRequest", val: { id: -1, name: "add", args: [] } } }));
		ws.send(frame({ body: { tag: "ActionRequest", val: { id: 8, name: "nosuch", args: [] } } }));
		ws.send(Buffer.from([0xff, 0xfe]));
		ws.send(frame({ body: { tag: "ActionRequest", val: { id: 9, name: "add", args: [2] } } }));
		await expect.poll(() => messages.length).toBe(8);
		const bodies = messages.slice(1).map((message) => JSON.parse(message).body);
		// Actions run concurrently, so answers to different frames may come in any order.
		const answers = bodies.map((b) =>
			JSON.stringify([b.tag, b.val.code ?? null, b.tag === "Error" ? b.val.actionId : b.val.id]),
		);
		expect(answers.sort()).toEqual(
			[
				["Error", "malformed", null],
				["Error", "invalid", null],
				["Error", "invalid", 7],
				["Error", "invalid", null],
				["Error", "action_not_found", 8],
				["Error", "malformed", null],
				["ActionResponse", null, 9],
			]
				.map((answer) => JSON.stringify(answer))
				.sort(),
		);
		ws.close();
		await assertHealthy(t, 2);
	});

	it("closes with 1009 when a frame exceeds the incoming limit", async () => {
		await using t = await setupTest(registry);
		const small = await rawSocket(t, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => small.messages.length).toBe(1);
		small.ws.send(
			frame({
				body: { tag: "ActionRequest", val: { id: 1, name: "add", args: ["z".repeat(1500)] } },
			}),
		);
		expect(await small.closed).toEqual({ code: 1009, reason: "message.incoming_too_long" });
		const huge = await rawSocket(t, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => huge.messages.length).toBe(1);
		huge.ws.send("z".repeat(10_000));
		expect((await huge.closed).code).toBe(1009);
		await assertHealthy(t, 0);
	});

	it("closes rejected connections with a code and a group.code reason", async () => {
		await using t = await setupTest(registry);
		const cases: [string[], string | undefined, number, string][] = [
			[["rivet", "rivet_encoding.xml"], undefined, 1008, "request.unsupported_encoding"],
			[
				["rivet", "rivet_encoding.json", "rivet_conn_params.%7Bbroken"],
				undefined,
				1008,
				"request.conn_params_invalid",
			],
			[
				[
					"rivet",
					"rivet_encoding.json",
					`rivet_conn_params.${encodeURIComponent(JSON.stringify({ token: "reject" }))}`,
				],
				undefined,
				1008,
				"user.unauthorized",
			],
			[
				["rivet", "rivet_encoding.json"],
				"/gateway/0123456789abcdef/connect",
				1008,
				"actor.not_found",
			],
			[
				["rivet", "rivet_encoding.json"],
				"/gateway/nosuch/connect?rvt-method=get",
				1008,
				"actor.not_found",
			],
			[
				["rivet", "rivet_encoding.json"],
				"/gateway/vault/connect?rvt-method=get&rvt-bad=1",
				1008,
				"request.invalid_query",
			],
		];
		for (const [protocols, path, code, reason] of cases) {
			const socket = await rawSocket(t, protocols, path);
			expect({ path, ...(await socket.closed) }).toEqual({ path, code, reason });
		}
		const cborOverText = await rawSocket(t, ["rivet", "rivet_encoding.cbor"]);
		await expect.poll(() => cborOverText.messages.length).toBe(1);
		cborOverText.ws.send("text on a cbor connection");
		await expect.poll(() => cborOverText.messages.length).toBe(2);
		cborOverText.ws.close();
		await assertHealthy(t, 0);
	});

	it("refuses upgrades on routes that are not WebSocket routes", async () => {
		await using t = await setupTest(registry);
		const ws = new WebSocket(`${t.url.replace("http", "ws")}/metadata`);
		const status = await new Promise<number | undefined>((resolve) => {
			ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
			ws.on("error", () => resolve(undefined));
		});
		expect(status).toBe(404);
		await assertHealthy(t, 0);
	});
});
