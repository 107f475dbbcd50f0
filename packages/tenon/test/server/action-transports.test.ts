// An action call is served by one route from two transports: the fetch
// handler (a Web Request, as the in-process client and other adapters call
// it) and the Node adapter (an IncomingMessage, read without a Web Request).
// Every case runs through both, against the same server, and the answers
// must agree: status, the headers that matter and the body, byte for byte;
// each case also says what the answer is, so agreeing on a wrong answer fails.
import { Encoder } from "cbor-x";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer, UserError } from "../../src/index.js";
import { encodeActionCall } from "../../src/protocol/http-bodies.js";
import type { ServerCore } from "../../src/server/server-core.js";
import { type RawAnswer, type RawBody, rawRequest } from "../helpers/raw-http.js";

const CLIENT_TOKEN = "client-token-for-transport-tests";
const ADMIN_TOKEN = "admin-token-for-transport-tests";
const LIMIT = 1024;

const echoer = actor({
	state: { runs: 0 },
	onBeforeConnect: (_c, params: { deny?: boolean } | undefined) => {
		if (params?.deny) throw new UserError("not you", { code: "denied" });
	},
	// What hooks see of the request: the Node adapter builds these headers only now.
	createConnState: (c, params: unknown) => {
		const request = c.request;
		if (request === undefined) return { params };
		const names: string[] = [];
		request.headers.forEach((_value, name) => {
			names.push(name);
		});
		return {
			params,
			method: request.method,
			url: request.url,
			names,
			custom: request.headers.get("x-custom"),
			cookies: { ...request.cookies },
			token: request.token ?? null,
			remoteAddress: request.remoteAddress ?? null,
			internal: request.internal,
		};
	},
	actions: {
		echo: (_c, ...args: unknown[]) => args,
		whoami: (c) => c.conn.state,
		fail: () => {
			throw new UserError("no such thing", { code: "nope", metadata: { why: "test" } });
		},
		big: () => "x".repeat(LIMIT * 2),
		run: (c) => ++c.state.runs,
		runs: (c) => c.state.runs,
	},
});

const registry = setup({
	use: { echoer },
	logLevel: "silent",
	clientToken: CLIENT_TOKEN,
	admin: { token: ADMIN_TOKEN },
	cors: { origin: ["http://app.example"], credentials: true },
	limits: { maxHttpBodyBytes: LIMIT, maxConnParamsBytes: 128 },
});

const cbor = new Encoder({ useRecords: false });
const json = (value: unknown) => JSON.stringify(value);
const ACTOR = "/gateway/echoer/action";
const key = (name: string) => `?rvt-method=getOrCreate&rvt-key=${name}`;

/** One request, as both transports send it. */
interface Case {
	name: string;
	path: string;
	/** Besides `host` (always sent) and the body's framing. */
	headers: readonly (readonly [string, string])[];
	body: RawBody;
	status: number;
	/** The error's `group/code`, in the answer's encoding (json unless cbor). */
	error?: string;
	encoding?: "cbor";
}

const bearer = ["authorization", `Bearer ${CLIENT_TOKEN}`] as const;
const asJson = ["content-type", "application/json"] as const;
const asBytes = ["content-type", "application/octet-stream"] as const;
const whole = (...chunks: (string | Uint8Array)[]): RawBody => ({ chunks });

const CASES: Case[] = [
	{
		name: "a JSON call",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({ args: [1, "two", { three: [3] }] })),
		status: 200,
	},
	{
		name: "a CBOR call",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asBytes, ["x-rivet-encoding", "cbor"]],
		body: whole(cbor.encode({ args: [1, new Uint8Array([1, 2, 3]), { a: null }] })),
		status: 200,
		encoding: "cbor",
	},
	{
		name: "a BARE call",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asBytes, ["x-rivet-encoding", "bare"]],
		body: whole(encodeActionCall("bare", ["bare", 2]) as Uint8Array),
		status: 200,
	},
	{
		name: "a body in pieces, chunked",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: { chunks: ['{"args":', "[1,", "2]}"], framing: "chunked" },
		status: 200,
	},
	{
		name: "a slow body",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: { chunks: ['{"args":', '["slow"', "]}"], delayMs: 30 },
		status: 200,
	},
	{
		name: "what hooks see of the request (headers, cookies, URL, token)",
		path: `${ACTOR}/whoami${key("a")}&extra=1`,
		headers: [
			bearer,
			asJson,
			["x-custom", "  padded value  "],
			["cookie", "session=abc%20def; theme=dark"],
			["x-rivet-conn-params", json({ role: "reader" })],
		],
		body: whole(json({ args: [] })),
		status: 200,
	},
	{
		name: "the token in the query",
		path: `${ACTOR}/whoami${key("a")}&rvt-token=${CLIENT_TOKEN}`,
		headers: [asJson],
		body: whole(json({})),
		status: 200,
	},
	{
		name: "the token in x-rivet-token",
		path: `${ACTOR}/whoami${key("a")}`,
		headers: [asJson, ["x-rivet-token", CLIENT_TOKEN]],
		body: whole(json({})),
		status: 200,
	},
	{
		name: "no token",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [asJson],
		body: whole(json({ args: [] })),
		status: 401,
		error: "auth/unauthorized",
	},
	{
		name: "a wrong token",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [["authorization", "Bearer not-the-client-token"], asJson],
		body: whole(json({ args: [] })),
		status: 403,
		error: "auth/forbidden",
	},
	{
		name: "a hook that refuses the caller",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["x-rivet-conn-params", json({ deny: true })]],
		body: whole(json({ args: [] })),
		status: 400,
		error: "user/denied",
	},
	{
		name: "connection params that are not JSON",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["x-rivet-conn-params", "{nope"]],
		body: whole(json({ args: [] })),
		status: 400,
		error: "request/conn_params_invalid",
	},
	{
		name: "connection params over their limit",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["x-rivet-conn-params", json({ pad: "p".repeat(200) })]],
		body: whole(json({ args: [] })),
		status: 400,
		error: "request/conn_params_too_long",
	},
	{
		name: "a text/plain body (what a cross-site form sends)",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, ["content-type", "text/plain"]],
		body: whole(json({ args: [] })),
		status: 415,
		error: "request/unsupported_content_type",
	},
	{
		name: "two Content-Type headers",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["content-type", "text/plain"]],
		body: whole(json({ args: [] })),
		status: 415,
		error: "request/unsupported_content_type",
	},
	{
		name: "two Authorization headers",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, ["authorization", "Bearer someone-else"], asJson],
		body: whole(json({ args: [] })),
		status: 403,
		error: "auth/forbidden",
	},
	{
		name: "an unknown encoding",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["x-rivet-encoding", "xml"]],
		body: whole(json({ args: [] })),
		status: 400,
		error: "request/unsupported_encoding",
	},
	{
		name: "malformed JSON",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: whole('{"args":[1,'),
		status: 400,
		error: "request/malformed",
	},
	{
		name: "malformed CBOR",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asBytes, ["x-rivet-encoding", "cbor"]],
		body: whole(new Uint8Array([0xff, 0xfe, 0x1f])),
		status: 400,
		error: "request/malformed",
		encoding: "cbor",
	},
	{
		name: "malformed BARE",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asBytes, ["x-rivet-encoding", "bare"]],
		body: whole(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff])),
		status: 400,
	},
	{
		name: "args that are not an array",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({ args: "nope" })),
		status: 400,
		error: "request/invalid",
	},
	{
		name: "a body over the limit, declared",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({ args: ["x".repeat(LIMIT)] })),
		status: 400,
		error: "message/incoming_too_long",
	},
	{
		name: "a body over the limit, chunked",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson],
		body: {
			chunks: ['{"args":["', "x".repeat(LIMIT / 2), "x".repeat(LIMIT), '"]}'],
			framing: "chunked",
		},
		status: 400,
		error: "message/incoming_too_long",
	},
	{
		name: "an answer over the limit",
		path: `${ACTOR}/big${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({})),
		status: 500,
		error: "message/outgoing_too_long",
	},
	{
		name: "an action that throws a UserError",
		path: `${ACTOR}/fail${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({})),
		status: 400,
		error: "user/nope",
	},
	{
		name: "an action the actor lacks",
		path: `${ACTOR}/missing${key("a")}`,
		headers: [bearer, asJson],
		body: whole(json({})),
		status: 404,
		error: "actor/action_not_found",
	},
	{
		name: "an unknown rvt- parameter",
		path: `${ACTOR}/echo${key("a")}&rvt-nope=1`,
		headers: [bearer, asJson],
		body: whole(json({})),
		status: 400,
		error: "request/invalid_query",
	},
	{
		name: "an actor id that does not exist",
		path: "/gateway/0000000000000000/action/echo",
		headers: [bearer, asJson],
		body: whole(json({})),
		status: 404,
		error: "actor/not_found",
	},
	{
		name: "an allowed cross-origin caller (CORS headers)",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["origin", "http://app.example"]],
		body: whole(json({ args: ["cors"] })),
		status: 200,
	},
	{
		name: "a refused cross-origin caller",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["origin", "http://evil.example"]],
		body: whole(json({ args: [] })),
		status: 403,
		error: "auth/origin_not_allowed",
	},
	{
		name: "a Host the server does not answer to",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["host", "evil.example"]],
		body: whole(json({ args: [] })),
		status: 403,
		error: "auth/host_not_allowed",
	},
	{
		name: "a request id from the client",
		path: `${ACTOR}/echo${key("a")}`,
		headers: [bearer, asJson, ["x-request-id", "client-id.42:a_b"]],
		body: whole(json({ args: [] })),
		status: 200,
	},
];

/** Headers whose value must be the same on both transports (framing headers differ by design). */
const COMPARED = [
	"content-type",
	"retry-after",
	"vary",
	"access-control-allow-origin",
	"access-control-allow-credentials",
	"access-control-expose-headers",
];

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

let server: TenonServer;
let core: ServerCore;
let host: string;

beforeAll(async () => {
	const created = await registry.createRuntime({ storage: memoryDriver(), bindHost: "127.0.0.1" });
	core = created.core;
	server = await registry.listen(created.runtime, core, { port: 0, host: "127.0.0.1" });
	host = new URL(server.url).host;
});

afterAll(async () => {
	await server?.close();
});

/** The headers a case sends, with `host` first (the case may name another). */
function headersOf(testCase: Case): [string, string][] {
	const named = testCase.headers.some(([name]) => name === "host");
	return [
		...(named ? [] : [["host", host] as [string, string]]),
		...testCase.headers.map(([n, v]) => [n, v] as [string, string]),
	];
}

const piecesOf = (body: RawBody) =>
	body.chunks.map((piece) => (typeof piece === "string" ? new TextEncoder().encode(piece) : piece));

/** Through the fetch handler: the same request as a Web `Request`. */
async function viaFetch(testCase: Case): Promise<RawAnswer> {
	const pieces = piecesOf(testCase.body);
	const headers = new Headers();
	for (const [name, value] of headersOf(testCase)) headers.append(name, value);
	const { framing = "content-length", delayMs = 0, disconnectAfter } = testCase.body;
	if (framing === "content-length")
		headers.set("content-length", String(pieces.reduce((sum, piece) => sum + piece.length, 0)));
	let sent = 0;
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (disconnectAfter !== undefined && sent >= disconnectAfter) {
				controller.error(new DOMException("The client went away", "AbortError"));
				return;
			}
			if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
			const piece = pieces[sent++];
			if (piece === undefined) controller.close();
			else controller.enqueue(piece);
		},
	});
	const request = new Request(`${server.url}${testCase.path}`, {
		method: "POST",
		headers,
		body,
		duplex: "half",
	} as RequestInit);
	const response = await core.fetch(request, { remoteAddress: "127.0.0.1" });
	const answerHeaders: Record<string, string> = {};
	response.headers.forEach((value, name) => {
		answerHeaders[name] = value;
	});
	return {
		status: response.status,
		headers: answerHeaders,
		body: new Uint8Array(await response.arrayBuffer()),
	};
}

/** Through the Node adapter: the same bytes on a real socket. */
async function viaNode(testCase: Case): Promise<RawAnswer | "closed"> {
	return rawRequest(
		server.url,
		{ method: "POST", path: testCase.path, headers: headersOf(testCase) },
		testCase.body,
	);
}

function errorOf(answer: RawAnswer, encoding: "cbor" | undefined): string | undefined {
	if (answer.status === 200) return undefined;
	const payload = (
		encoding === "cbor"
			? cbor.decode(answer.body)
			: JSON.parse(new TextDecoder().decode(answer.body))
	) as { group: string; code: string };
	return `${payload.group}/${payload.code}`;
}

describe("an action call over the fetch handler and over the Node adapter", () => {
	it.each(CASES)("$name", async (testCase) => {
		const fetched = await viaFetch(testCase);
		const served = await viaNode(testCase);
		if (served === "closed")
			throw new Error("the Node adapter closed the connection without an answer");
		expect(fetched.status).toBe(testCase.status);
		expect(served.status).toBe(testCase.status);
		if (testCase.error !== undefined) {
			expect(errorOf(fetched, testCase.encoding)).toBe(testCase.error);
		}
		for (const name of COMPARED)
			expect([name, served.headers[name]]).toEqual([name, fetched.headers[name]]);
		expect(Buffer.from(served.body).toString("hex")).toBe(
			Buffer.from(fetched.body).toString("hex"),
		);
		// The client's id when it sent a safe one, else one of the server's.
		const sentId = testCase.headers.find(([name]) => name === "x-request-id")?.[1];
		for (const answer of [fetched, served]) {
			if (sentId !== undefined) expect(answer.headers["x-request-id"]).toBe(sentId);
			else expect(answer.headers["x-request-id"]).toMatch(SAFE_REQUEST_ID);
		}
		// The Node adapter answers with a length, and ends a connection whose body it did not read.
		expect(served.headers["content-length"]).toBe(String(served.body.length));
	});
});
