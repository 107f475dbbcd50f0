// fast-check generators of hostile input: JSON and CBOR values built to hit
// the decoders' edges (prototype keys, tagged pairs, deep nesting, odd
// numbers and strings), bytes that are almost CBOR, HTTP requests to every
// route with every kind of bad header, and connection frames.
import { Encoder, Tag } from "cbor-x";
import fc from "fast-check";
import {
	writeHttpActionRequest,
	writeHttpQueueSendRequest,
} from "../../src/protocol/bare-codec.js";

/** Object keys that have broken JavaScript servers before. */
export const hostileKeys = [
	"__proto__",
	"constructor",
	"prototype",
	"toString",
	"valueOf",
	"hasOwnProperty",
	"__defineGetter__",
	"then",
	"",
	"\u0000",
	"\ud800",
	"a".repeat(300),
	"$BigInt",
] as const;

const DOLLAR_TAGS = [
	"$BigInt",
	"$Uint8Array",
	"$ArrayBuffer",
	"$Undefined",
	"$Set",
	"$Map",
	"$$escaped",
	"$Evil",
	"$",
] as const;

const odd = {
	string: fc.oneof(
		fc.string({ maxLength: 40 }),
		fc.string({ unit: "binary", maxLength: 20 }),
		fc.constantFrom(...hostileKeys, "\udc00x", "💥", "-1", "1e999", "%", "%zz", "../..", "a,b"),
	),
	number: fc.oneof(
		fc.integer(),
		fc.double(),
		fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53) - 1, 1e308, Number.MIN_VALUE),
	),
};

/** JSON values with hostile keys and `$`-tag lookalikes, up to a small depth. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
	value: fc.oneof(
		{ depthSize: "small", maxDepth: 6 },
		odd.string,
		odd.number,
		fc.boolean(),
		fc.constant(null),
		fc.array(tie("value"), { maxLength: 6 }),
		fc.dictionary(fc.oneof(odd.string, fc.constantFrom(...hostileKeys)), tie("value"), {
			maxKeys: 5,
		}),
		fc.tuple(fc.constantFrom(...DOLLAR_TAGS), tie("value")),
	),
})).value;

/** JSON text: encoded values, nesting far too deep, near-JSON and garbage. */
export const jsonText: fc.Arbitrary<string> = fc.oneof(
	{ weight: 6, arbitrary: jsonValue.map((value) => JSON.stringify(value) ?? "null") },
	{
		weight: 2,
		arbitrary: jsonValue.map(
			(value) =>
				// Own `__proto__` keys (JSON.parse makes them own properties).
				`{"__proto__":${JSON.stringify(value) ?? "null"},"args":[{"constructor":{"prototype":{"polluted":1}}}]}`,
		),
	},
	{
		weight: 1,
		arbitrary: fc.integer({ min: 50, max: 20_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
	},
	{
		weight: 1,
		arbitrary: fc
			.integer({ min: 50, max: 5_000 })
			.map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`),
	},
	{
		weight: 2,
		arbitrary: fc
			.tuple(jsonValue, fc.nat(), fc.string({ maxLength: 3 }))
			.map(([value, at, junk]) => {
				const text = JSON.stringify(value) ?? "null";
				const i = at % (text.length + 1);
				return text.slice(0, i) + junk + text.slice(i + 1);
			}),
	},
	{ weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, structuredClone: true });

function safeEncode(value: unknown): Uint8Array {
	try {
		return cbor.encode(value);
	} catch {
		return Uint8Array.of(0xf6);
	}
}

function safeStringify(value: unknown): string {
	try {
		return (
			JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item)) ??
			"null"
		);
	} catch {
		return "{}";
	}
}

/** Values only CBOR can carry: unknown tags, RegExp, Error, typed arrays, cycles, Map keys. */
const cborOnly: fc.Arbitrary<unknown> = fc.oneof(
	jsonValue.map((value) => new Tag(value, 100)),
	fc.constant(/a+b/gi),
	fc.constant(new Error("boom")),
	fc.constant(new Float32Array([1.5, Number.NaN])),
	fc.constant(new DataView(new ArrayBuffer(4))),
	fc.bigInt(),
	fc.date(),
	jsonValue.map((value) => new Map([[{ k: 1 }, value]])),
	jsonValue.map((value) => new Set([value])),
	jsonValue.map((value) => {
		const cycle: Record<string, unknown> = { value };
		cycle.self = cycle;
		return cycle;
	}),
	// Shared parts (value-sharing tags), a few levels deep: once walked naively, exponential.
	fc.tuple(jsonValue, fc.integer({ min: 1, max: 12 })).map(([value, levels]) => {
		let level: unknown = { value };
		for (let i = 0; i < levels; i++) level = [level, level];
		return level;
	}),
	fc.bigInt({ min: -(2n ** 20_000n), max: 2n ** 20_000n }),
);

/** CBOR bytes: valid encodings, CBOR-only values, mutations, truncations and raw bytes. */
export const cborBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
	{ weight: 4, arbitrary: jsonValue.map(safeEncode) },
	{ weight: 2, arbitrary: cborOnly.map((value) => safeEncode({ args: [value] })) },
	{
		weight: 2,
		arbitrary: fc
			.tuple(jsonValue, fc.nat(), fc.integer({ min: 0, max: 255 }))
			.map(([value, at, byte]) => {
				const bytes = safeEncode(value).slice();
				if (bytes.length > 0) bytes[at % bytes.length] = byte;
				return bytes;
			}),
	},
	{
		weight: 1,
		arbitrary: fc.tuple(jsonValue, fc.nat()).map(([value, cut]) => {
			const bytes = safeEncode(value);
			return bytes.slice(0, cut % (bytes.length + 1));
		}),
	},
	{
		weight: 1,
		// Headers announcing absurd lengths: an array or map of 2^64-1 items, huge strings.
		arbitrary: fc.constantFrom(
			Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
			Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
			Uint8Array.of(0x7b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
			Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff),
			Uint8Array.of(0x9f, 0x9f, 0x9f, 0x9f),
			Uint8Array.of(0xd8, 0x1c, 0x81, 0xd8, 0x1d, 0x00),
			// A 64 KiB bignum (tag 2): quadratic to decode.
			Uint8Array.of(0xc2, 0x59, 0xff, 0xff, ...new Array(65_535).fill(0xff)),
		),
	},
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
);

/** A body in either encoding (JSON text or CBOR bytes), with the encoding it claims. */
export const body = fc.oneof(
	fc.record({
		encoding: fc.constant("json" as const),
		data: jsonText as fc.Arbitrary<string | Uint8Array>,
	}),
	fc.record({
		encoding: fc.constant("cbor" as const),
		data: cborBytes as fc.Arbitrary<string | Uint8Array>,
	}),
	fc.record({
		encoding: fc.constantFrom("json" as const, "cbor" as const),
		data: jsonValue.map((args) => JSON.stringify({ args: [args] })) as fc.Arbitrary<
			string | Uint8Array
		>,
	}),
);

/** One HTTP request, as the fuzzer sends it. */
export interface FuzzRequest {
	method: string;
	path: string;
	headers: Record<string, string>;
	body: string | Uint8Array | undefined;
}

const actorNames = fc.constantFrom(
	"target",
	"target",
	"target",
	"canary",
	"nosuch",
	"__proto__",
	"",
	"%00",
);
export const actionNames = fc.oneof(
	fc.constantFrom(
		"inc",
		"put",
		"echo",
		"get",
		"read",
		"nosuch",
		"__proto__",
		"constructor",
		"toString",
	),
	odd.string,
);
const keyParam = fc.oneof(
	fc.constantFrom("f1", "f2", "f1,f2", "", ",", "a%2Cb", "%ED%A0%80", "%", "\\", "canary-key-x"),
	fc.string({ maxLength: 20 }),
);

/** Percent-encodes like `encodeURIComponent`, but writes a lone surrogate as the invalid UTF-8 it would be. */
function pct(text: string): string {
	return text
		.split(/([\uD800-\uDFFF])/)
		.map((part) => (/^[\uD800-\uDFFF]$/.test(part) ? "%ED%A0%80" : encodeURIComponent(part)))
		.join("");
}

function encodeQuery(params: [string, string][]): string {
	return params.map(([k, v]) => `${k}=${pct(v)}`).join("&");
}

const gatewayQuery = fc
	.tuple(
		fc.constantFrom("get", "getOrCreate", "getOrCreate", "create", "", "x"),
		keyParam,
		fc.option(
			fc.oneof(
				cborBytes.map((b) => Buffer.from(b).toString("base64url")),
				fc.string(),
			),
			{
				nil: undefined,
			},
		),
		fc.option(fc.constantFrom("default", "other", "", "bad ns", "a".repeat(70)), {
			nil: undefined,
		}),
		fc.option(fc.constantFrom("rvt-evil", "rvt-method", "rvt-token"), { nil: undefined }),
	)
	.map(([method, key, input, namespace, extra]) => {
		const params: [string, string][] = [
			["rvt-method", method],
			["rvt-key", key],
		];
		if (input !== undefined) params.push(["rvt-input", input]);
		if (namespace !== undefined) params.push(["rvt-namespace", namespace]);
		if (extra !== undefined) params.push([extra, "1"]);
		return encodeQuery(params);
	});

const gatewayPath = fc
	.tuple(
		actorNames,
		fc.oneof(
			actionNames.map((name) => `/action/${pct(name)}`),
			fc.constantFrom(
				"/queue/q",
				"/queue/nosuch",
				"/queue/__proto__",
				"/request/x?y=1",
				"/request",
				"/connect",
				"/websocket/x",
				"/",
				"",
				"/action/",
			),
			fc.string({ maxLength: 20 }).map((junk) => `/${pct(junk)}`),
		),
		gatewayQuery,
	)
	.map(
		([name, route, query]) =>
			`/gateway/${pct(name)}${route}${route.includes("?") ? "&" : "?"}${query}`,
	);

const managementPath = fc.oneof(
	fc.constantFrom(
		"/actors?name=target",
		"/actors?name=target&key=f1",
		"/actors?name=canary&key=canary-key",
		"/actors?actor_ids=a,b,c",
		"/actors",
		"/actors/%",
		"/actors/zzzzzzzzzzzzzzzz",
		"/actors/names",
		"/metadata",
		"/health",
		"/inspector/actors/x/workflow",
		"/inspector/actors/%ff/queue",
		"/gateway/",
		"/gateway/%",
		"/%2e%2e/%2e%2e/etc/passwd",
		"//",
	),
	fc.string({ maxLength: 30 }).map((junk) => `/${pct(junk)}`),
);

const contentTypes = fc.constantFrom(
	undefined,
	"application/json",
	"application/json",
	"application/octet-stream",
	"application/cbor",
	"text/plain",
	"application/x-www-form-urlencoded",
	"multipart/form-data; boundary=x",
	"application/json; charset=utf-16",
	"",
);

/**
 * Well-formed calls (right route, method and content type) whose arguments
 * and queue bodies are hostile: these reach the actor, past the routing.
 */
const wellFormedCall: fc.Arbitrary<FuzzRequest> = fc
	.tuple(
		fc.constantFrom("json" as const, "cbor" as const, "bare" as const),
		fc.constantFrom("inc", "put", "echo", "get", "/queue/q"),
		fc.oneof(
			fc.array(jsonValue, { maxLength: 3 }),
			cborOnly.map((value) => [value]),
		),
		fc.constantFrom("f1", "f2", "f3"),
		fc.boolean(),
	)
	.map(([encoding, route, args, key, wait]) => {
		const isQueue = route.startsWith("/");
		const payload = isQueue ? { body: args[0], wait, timeout: 50 } : { args };
		return {
			method: "POST",
			path: `/gateway/target${isQueue ? route : `/action/${route}`}?rvt-method=getOrCreate&rvt-key=${key}`,
			headers: {
				"content-type": encoding === "json" ? "application/json" : "application/octet-stream",
				"x-rivet-encoding": encoding,
			},
			body:
				encoding === "json"
					? safeStringify(payload)
					: encoding === "cbor"
						? safeEncode(payload)
						: isQueue
							? writeHttpQueueSendRequest({
									body: safeEncode(args[0]),
									name: undefined,
									wait,
									timeout: 50n,
								})
							: writeHttpActionRequest(safeEncode(args)),
		};
	});

/** HTTP requests to every route, with hostile headers and bodies. */
export const anyRequest: fc.Arbitrary<FuzzRequest> = fc
	.tuple(
		fc.constantFrom("GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
		fc.oneof({ weight: 4, arbitrary: gatewayPath }, { weight: 1, arbitrary: managementPath }),
		fc.option(body, { nil: undefined }),
		contentTypes,
		fc.option(fc.constantFrom("json", "cbor", "bare", "xml", ""), { nil: undefined }),
		fc.option(fc.oneof(jsonText, fc.constant('{"deny":true}'), fc.constant("x".repeat(5000))), {
			nil: undefined,
		}),
		fc.option(fc.constantFrom("https://evil.example", "null", "http://127.0.0.1"), {
			nil: undefined,
		}),
		fc.option(fc.constantFrom("Bearer x", "Bearer ", "Basic Zm9vOmJhcg==", "x".repeat(300)), {
			nil: undefined,
		}),
	)
	.map(([method, path, payload, contentType, encoding, params, origin, authorization]) => {
		const headers: Record<string, string> = {};
		if (contentType !== undefined) headers["content-type"] = contentType;
		const chosen = encoding ?? payload?.encoding;
		if (chosen !== undefined) headers["x-rivet-encoding"] = chosen;
		// Header values travel as bytes: UTF-8 text goes as its raw bytes (what real clients send).
		if (params !== undefined)
			headers["x-rivet-conn-params"] = Buffer.from(
				params.replace(/[\r\n\0]/g, ""),
				"utf8",
			).toString("latin1");
		if (origin !== undefined) headers.origin = origin;
		if (authorization !== undefined) headers.authorization = authorization;
		const sendsBody = method !== "GET" && method !== "OPTIONS" && payload !== undefined;
		return { method, path, headers, body: sendsBody ? payload?.data : undefined };
	});

/** The HTTP fuzz mix: hostile requests to any route, and well-formed calls with hostile values. */
export const httpRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
	{ weight: 3, arbitrary: anyRequest },
	{ weight: 2, arbitrary: wellFormedCall },
);

/** One frame on a connection: an envelope with odd fields, in JSON or CBOR, or garbage. */
export const frame: fc.Arbitrary<{ data: string | Uint8Array; encoding: "json" | "cbor" }> = fc
	.tuple(
		fc.constantFrom("json" as const, "cbor" as const),
		fc.oneof(
			{
				weight: 5,
				arbitrary: fc.record({
					body: fc.record({
						tag: fc.constantFrom(
							"ActionRequest",
							"ActionRequest",
							"SubscriptionRequest",
							"Init",
							"__proto__",
							"",
						),
						val: fc.record(
							{
								id: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string(), fc.constant(null)),
								name: actionNames,
								args: fc.oneof(fc.array(jsonValue, { maxLength: 4 }), jsonValue),
								eventName: odd.string,
								subscribe: fc.oneof(fc.boolean(), jsonValue),
							},
							{ requiredKeys: [] },
						),
					}),
				}),
			},
			{ weight: 1, arbitrary: jsonValue },
			{
				weight: 1,
				arbitrary: cborOnly.map((value) => ({
					body: { tag: "ActionRequest", val: { id: 1, name: "echo", args: [value] } },
				})),
			},
		),
		fc.option(fc.oneof(jsonText, cborBytes), { freq: 4, nil: undefined }),
	)
	.map(([encoding, envelope, raw]) => {
		if (raw !== undefined) return { data: raw, encoding };
		return {
			data: encoding === "json" ? safeStringify(envelope) : safeEncode(envelope),
			encoding,
		};
	});
