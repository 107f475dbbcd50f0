// Values a client sends are decoded, then checked to be plain data Tenon can
// store and send back exactly, before any actor sees them. One caller's bad
// value gets that caller a 400; the actor and everyone else are unaffected.
import { Encoder, Tag } from "cbor-x";
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { bytesToBase64, bytesToBase64Url } from "../../src/protocol/bytes.js";
import { MAX_VALUE_CONTAINERS } from "../../src/protocol/value-limits.js";
import { setupTest } from "../../src/test/index.js";
import { outcome, plainCbor, postCbor, postJson, rawRequest, rawSocket } from "../helpers/raw.js";

const box = actor({
	state: { count: 0, items: {} as Record<string, unknown>, notes: [] as unknown[] },
	queues: { inbox: queue<unknown>() },
	actions: {
		add: (c, n: number) => {
			c.state.count += n;
			return c.state.count;
		},
		keep: (c, value: unknown) => {
			c.state.notes.push(value);
			return c.state.notes.length;
		},
		setItem: (c, key: string, value: unknown) => {
			c.state.items[key] = value;
			return true;
		},
		read: (c) => c.state,
		many: (_c, count: number) => Array.from({ length: count }, () => ({ i: 1 })),
	},
});

const registry = setup({ use: { box }, logLevel: "silent" });

/** cbor-x with its extensions on, as an attacker's encoder could be. */
const richCbor = new Encoder({ structuredClone: true, useRecords: false });

function cyclic(): unknown {
	const value: Record<string, unknown> = { a: 1 };
	value.self = value;
	return value;
}

const action = (name: string, key = "b") =>
	`/gateway/box/action/${name}?rvt-method=getOrCreate&rvt-key=${key}`;

describe("values that cannot be stored", () => {
	it("are refused with a 400 to the sender only, while other callers' writes go on", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("b");
		await handle.add(0);
		const bad: [string, unknown][] = [
			["an unknown CBOR tag", new Tag("x", 100)],
			["a RegExp", /ab+c/g],
			["a cycle", cyclic()],
			["an Error", new Error("boom")],
		];
		const good = Array.from({ length: 20 }, () => handle.add(1));
		const refused = await Promise.all(
			bad.map(([, value]) =>
				postCbor(`${t.url}${action("keep")}`, richCbor.encode({ args: [value] })),
			),
		);
		for (const [i, answer] of refused.entries()) {
			// A cycle needs CBOR's value-sharing tags, and cbor-x writes a RegExp or an Error as a
			// generic object (tag 27): all refused before decoding.
			const code = bad[i]?.[0] === "an unknown CBOR tag" ? "invalid_value" : "malformed";
			expect(outcome(answer)).toEqual({ status: 400, group: "request", code });
			if (code === "invalid_value") expect(answer.body.metadata.path).toMatch(/^body\.args\[0\]/);
		}
		expect((await Promise.all(good)).sort((a, b) => a - b).at(-1)).toBe(20);
		const state = await handle.read();
		expect(state.count).toBe(20);
		expect(state.notes).toEqual([]);
	});

	it("are refused over a connection, tied to the action id, and the connection stays usable", async () => {
		await using t = await setupTest(registry);
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/box/connect?rvt-method=getOrCreate&rvt-key=w`,
			["rivet", "rivet_encoding.cbor"],
		);
		await expect.poll(() => socket.messages.length).toBe(1);
		const send = (id: number, name: string, args: unknown[]) =>
			socket.ws.send(richCbor.encode({ body: { tag: "ActionRequest", val: { id, name, args } } }));
		send(1, "keep", [new Tag("x", 100)]);
		send(2, "keep", [cyclic()]);
		send(3, "add", [5]);
		await expect.poll(() => socket.messages.length).toBe(4);
		const answers = socket
			.decoded()
			.slice(1)
			.map((m) => m.body);
		const byId = new Map(
			answers.map((b) => [Number(b.tag === "Error" ? b.val.actionId : b.val.id), b]),
		);
		expect(byId.get(1)?.val.code).toBe("invalid_value");
		// The cycle's frame does not pass the CBOR checks at all: no readable id.
		expect(answers.find((b) => b.tag === "Error" && b.val.actionId === null)?.val.code).toBe(
			"malformed",
		);
		expect(byId.get(3)?.val.output).toBe(5);
		socket.ws.close();
	});

	it("are refused as queue bodies and connection params", async () => {
		await using t = await setupTest(registry);
		const queued = await postCbor(
			`${t.url}/gateway/box/queue/inbox?rvt-method=getOrCreate&rvt-key=q`,
			richCbor.encode({ body: new Tag("x", 100) }),
		);
		expect(outcome(queued)).toEqual({ status: 400, group: "request", code: "invalid_value" });
		const params = await postJson(`${t.url}${action("add", "q")}`, '{"args":[1]}', {
			"x-rivet-conn-params": '{"__proto__":{"admin":true}}',
		});
		expect(outcome(params)).toEqual({ status: 400, group: "request", code: "invalid_value" });
	});
});

describe("values that are expensive to decode or to walk", () => {
	it("shared-reference graphs and huge bignums are refused at once, and others keep being served", async () => {
		await using t = await setupTest(registry);
		// Regression: 26 levels, each holding the level below twice (CBOR tags 28/29):
		// 239 bytes that took 15 s to check and blocked the server meanwhile.
		let level: unknown = { leaf: 1 };
		for (let i = 0; i < 26; i++) level = [level, level];
		const shared = richCbor.encode({ args: [level] });
		expect(shared.byteLength).toBeLessThan(1_000);
		// Regression: a 1 MiB bignum (tag 2) decoded in quadratic time (minutes).
		const bignum = new Uint8Array(1 + 5 + 1_048_576);
		bignum.set([0xc2, 0x5a, 0x00, 0x10, 0x00, 0x00]);
		bignum.fill(0xff, 6);
		const body = new Uint8Array(
			Buffer.concat([Uint8Array.of(0xa1, 0x64, ...new TextEncoder().encode("args"), 0x81), bignum]),
		);
		const started = performance.now();
		const [sharedAnswer, bignumAnswer, healthy] = await Promise.all([
			postCbor(`${t.url}${action("keep")}`, shared),
			postCbor(`${t.url}${action("keep")}`, body),
			t.client.box.getOrCreate("other").add(1),
		]);
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(outcome(sharedAnswer)).toMatchObject({ status: 400, group: "request" });
		expect(outcome(bignumAnswer)).toMatchObject({ status: 400, code: "malformed" });
		expect(healthy).toBe(1);
		// Creation input gets the same checks.
		const input = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "box", key: "g", input: bytesToBase64(richCbor.encode(level)) }),
		});
		expect(outcome(input)).toEqual({ status: 400, group: "request", code: "invalid_input" });
		// A bignum of a sane size is fine.
		const small = await postCbor(
			`${t.url}${action("keep")}`,
			plainCbor.encode({ args: [2n ** 100n] }),
		);
		expect(small.status).toBe(200);
	});

	it("a body of millions of tiny containers is refused before it is decoded", async () => {
		// Regression (an attacker probe, 2026-11-24): 10 MB of empty arrays under the
		// 20 MiB body limit took ~10 s to decode and check, blocked every other caller
		// meanwhile, and left the server a gigabyte larger.
		await using t = await setupTest(registry);
		const count = 2_000_000;
		const cbor = new Uint8Array(11 + count);
		cbor.set([0xa1, 0x64, ...new TextEncoder().encode("args"), 0x81, 0x9a]);
		new DataView(cbor.buffer).setUint32(7, count);
		cbor.fill(0x80, 11);
		const json = `{"args":[[${"[],".repeat(count - 1)}[]]]}`;
		const flat = `{"args":[[${"0,".repeat(count - 1)}0]]}`;
		const started = performance.now();
		const [cborAnswer, jsonAnswer, flatAnswer, healthy] = await Promise.all([
			postCbor(`${t.url}${action("keep")}`, cbor),
			postJson(`${t.url}${action("keep")}`, json),
			postJson(`${t.url}${action("keep")}`, flat),
			t.client.box.getOrCreate("other").add(1),
		]);
		expect(performance.now() - started).toBeLessThan(4_000);
		for (const answer of [cborAnswer, jsonAnswer, flatAnswer])
			expect(outcome(answer)).toEqual({ status: 400, group: "request", code: "malformed" });
		expect(healthy).toBe(1);
		// Within the limits, a large value is kept.
		const fine = await postJson(
			`${t.url}${action("keep")}`,
			`{"args":[[${"[1],".repeat(MAX_VALUE_CONTAINERS - 4)}[1]]]}`,
		);
		expect(fine.status).toBe(200);
		// The limits are the server's, on what clients send: a client reads any reply within
		// its byte limit (found in review: 150,000 objects in a 0.9 MB reply were refused).
		const handle = t.client.box.getOrCreate("big");
		expect((await handle.many(MAX_VALUE_CONTAINERS + 50_000)).length).toBe(150_000);
		const conn = handle.connect();
		try {
			expect((await conn.many(MAX_VALUE_CONTAINERS + 50_000)).length).toBe(150_000);
		} finally {
			await conn.dispose();
		}
	});

	it("a $BigInt with too many digits is refused", async () => {
		await using t = await setupTest(registry);
		const answer = await postJson(
			`${t.url}${action("keep")}`,
			`{"args":[["$BigInt","${"9".repeat(100_000)}"]]}`,
		);
		expect(outcome(answer)).toMatchObject({ status: 400, code: "malformed" });
	});
});

describe("deep nesting", () => {
	it("is refused in JSON and CBOR bodies and frames, and the server keeps serving", async () => {
		await using t = await setupTest(registry);
		const deepJson = `{"args":[${"[".repeat(20_000)}${"]".repeat(20_000)}]}`;
		expect(outcome(await postJson(`${t.url}${action("keep")}`, deepJson)).status).toBe(400);
		// CBOR: 600 nested one-element arrays (0x81) around null.
		const deepCbor = Uint8Array.of(
			0xa1,
			0x64,
			...new TextEncoder().encode("args"),
			0x81,
			...new Array(600).fill(0x81),
			0xf6,
		);
		const cbor = await postCbor(`${t.url}${action("keep")}`, deepCbor);
		expect(outcome(cbor)).toMatchObject({ status: 400, group: "request" });
		const socket = await rawSocket(
			`${t.url.replace("http", "ws")}/gateway/box/connect?rvt-method=getOrCreate&rvt-key=deep`,
			["rivet", "rivet_encoding.json"],
		);
		await expect.poll(() => socket.messages.length).toBe(1);
		socket.ws.send(
			`{"body":{"tag":"ActionRequest","val":{"id":1,"name":"keep","args":[${"[".repeat(10_000)}${"]".repeat(10_000)}]}}}`,
		);
		await expect.poll(() => socket.messages.length).toBe(2);
		expect(socket.decoded()[1].body.val).toMatchObject({ group: "request", actionId: 1 });
		socket.ws.close();
		expect(await t.client.box.getOrCreate("b").add(1)).toBe(1);
	});
});

describe("__proto__ keys", () => {
	it("are refused in JSON and CBOR, so nothing stored changes its name on the way back", async () => {
		await using t = await setupTest(registry);
		const json = await postJson(`${t.url}${action("keep")}`, '{"args":[{"__proto__":{"x":1}}]}');
		expect(outcome(json)).toEqual({ status: 400, group: "request", code: "invalid_value" });
		// { "__proto__": 1 } as raw CBOR (cbor-x would rename the key to "__proto_").
		const map = Uint8Array.of(0xa1, 0x69, ...new TextEncoder().encode("__proto__"), 0x01);
		const body = Uint8Array.of(0xa1, 0x64, ...new TextEncoder().encode("args"), 0x81, ...map);
		expect(outcome(await postCbor(`${t.url}${action("keep")}`, body))).toEqual({
			status: 400,
			group: "request",
			code: "invalid_value",
		});
		// A string that merely contains the bytes is fine.
		const fine = await postCbor(
			`${t.url}${action("keep")}`,
			plainCbor.encode({ args: ["xi__proto__"] }),
		);
		expect(fine.status).toBe(200);
		expect(({} as Record<string, unknown>).x).toBeUndefined();
		await t.restart();
		expect((await t.client.box.getOrCreate("b").read()).notes).toEqual(["xi__proto__"]);
	});

	it("written into state fail that turn alone, not the actor's commit", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.box.getOrCreate("p");
		await handle.add(1);
		// Both frames arrive together, so both turns would share one commit.
		const conn = handle.connect();
		const [bad, good] = await Promise.allSettled([
			conn.setItem("__proto__", { evil: true }),
			conn.add(1),
		]);
		expect(bad).toMatchObject({
			status: "rejected",
			reason: { group: "state", code: "not_serializable" },
		});
		expect(good).toEqual({ status: "fulfilled", value: 2 });
		await conn.dispose();
		await t.restart();
		const state = await handle.read();
		expect(state.count).toBe(2);
		expect(Object.getPrototypeOf(state.items)).toBe(Object.prototype);
	});
});

describe("creation input", () => {
	it("that does not decode is refused with a 400 and the key stays usable", async () => {
		await using t = await setupTest(registry);
		// An unterminated CBOR array: two items announced, one present.
		const broken = Uint8Array.of(0x82, 0x01);
		const viaGateway = await postJson(
			`${t.url}/gateway/box/action/add?rvt-method=getOrCreate&rvt-key=i&rvt-input=${bytesToBase64Url(broken)}`,
			'{"args":[1]}',
		);
		expect(outcome(viaGateway)).toEqual({ status: 400, group: "request", code: "invalid_input" });
		const viaRest = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "box", key: "i", input: bytesToBase64(broken) }),
		});
		expect(outcome(viaRest)).toEqual({ status: 400, group: "request", code: "invalid_input" });
		const notPlain = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "box", key: "i", input: bytesToBase64(richCbor.encode(/x/)) }),
		});
		expect(outcome(notPlain)).toEqual({ status: 400, group: "request", code: "invalid_input" });
		expect(await t.client.box.getOrCreate("i").add(1)).toBe(1);
	});
});

describe("keys and ids", () => {
	it("refuses lone surrogates, which would alias other keys", async () => {
		await using t = await setupTest(registry);
		const lone = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: '{"name":"box","key":["\\ud800"]}',
		});
		expect(outcome(lone)).toEqual({ status: 400, group: "request", code: "invalid_key" });
		// The client refuses them too: in a URL they would become U+FFFD.
		expect(() => t.client.box.getOrCreate("\udc00")).toThrow(/lone surrogate/);
		expect(await t.client.box.getOrCreate("\uFFFD").add(7)).toBe(7);
		// Percent-encoding that is not UTF-8 would also become U+FFFD: refused.
		for (const bad of ["%FF", "%ED%A0%80", "a%C3"]) {
			const answer = await postJson(
				`${t.url}/gateway/box/action/add?rvt-method=getOrCreate&rvt-key=${bad}`,
				'{"args":[1]}',
			);
			expect(outcome(answer)).toEqual({ status: 400, group: "request", code: "invalid_query" });
			// Also with the parameter's name percent-encoded (it skipped the check before
			// 2026-11-27), and in the REST lookup by key.
			for (const name of ["rvt%2Dkey", "rvt%2dkey", "%72vt-key"]) {
				const encoded = await postJson(
					`${t.url}/gateway/box/action/add?rvt-method=getOrCreate&${name}=${bad}`,
					'{"args":[1]}',
				);
				expect(outcome(encoded), name).toEqual({
					status: 400,
					group: "request",
					code: "invalid_query",
				});
			}
			const lookup = await rawRequest(`${t.url}/actors?name=box&key=${bad}`, {});
			expect(outcome(lookup)).toEqual({ status: 400, group: "request", code: "invalid_query" });
		}
		// The REST key form is canonical: no two texts name one key.
		for (const key of ["\\0x", "x\\0", "a//b", "a/"]) {
			const rest = await rawRequest(`${t.url}/actors`, {
				method: "PUT",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ name: "box", key }),
			});
			expect(outcome(rest)).toEqual({ status: 400, group: "request", code: "invalid_key" });
		}
		expect(await t.client.box.getOrCreate("😀").add(3)).toBe(3);
	});

	it("refuses keys of more components than the limit (each costs storage bytes of its own)", async () => {
		// Regression (an attacker probe, 2026-11-24): 660 one-byte components passed the
		// byte limit and overflowed LMDB's directory key: a 500 instead of a 400.
		await using t = await setupTest(registry);
		const parts = (count: number) => Array.from({ length: count }, () => "a").join(",");
		const tooMany = await postJson(
			`${t.url}/gateway/box/action/add?rvt-method=getOrCreate&rvt-key=${parts(129)}`,
			'{"args":[1]}',
		);
		expect(outcome(tooMany)).toEqual({ status: 400, group: "request", code: "invalid_key" });
		const empties = await rawRequest(`${t.url}/actors`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ name: "box", key: Array.from({ length: 1000 }, () => "") }),
		});
		expect(outcome(empties)).toEqual({ status: 400, group: "request", code: "invalid_key" });
		const most = await postJson(
			`${t.url}/gateway/box/action/add?rvt-method=getOrCreate&rvt-key=${parts(128)}`,
			'{"args":[1]}',
		);
		expect(most.status).toBe(200);
	});

	it("answers bad percent-encoding in an actor id with a 400", async () => {
		await using t = await setupTest(registry);
		expect(outcome(await rawRequest(`${t.url}/actors/%`, { method: "DELETE" }))).toMatchObject({
			status: 400,
			code: "invalid",
		});
	});
});
