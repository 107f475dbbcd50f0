// cbor-x reads its own extensions in any input, whatever the options Tenon
// encodes with (an attacker probe, 2026-11-25): packed values share and
// concatenate earlier values (711 bytes blocked the event loop for 2.9 s,
// 209 KB killed the process out of memory), records compile a function per
// shape (1 MB blocked it for 1 s), and a "__proto__" key written with a
// longer length header than usual got past the check of the usual bytes.
// Each is refused before it is decoded; what Tenon's and RivetKit's
// encoders write still reads.
import { Encoder, Tag } from "cbor-x";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import {
	cborEncode,
	decodeUntrusted,
	decodeUntrustedInput,
	decodeValue,
} from "../../src/protocol/encoding.js";
import { setupTest } from "../../src/test/index.js";
import { outcome, postCbor } from "../helpers/raw.js";

/** A CBOR head: major type and argument. */
function head(major: number, n: number): number[] {
	if (n < 24) return [(major << 5) | n];
	if (n < 256) return [(major << 5) | 24, n];
	if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
	return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const text = (s: string) => [...head(3, Buffer.byteLength(s)), ...Buffer.from(s)];

/**
 * `levels` nested packed-value tables (tag 51), each whose one value is a
 * pair of references to the table below (tag 6): about 22 bytes a level,
 * 2^levels leaves when walked. Then `{args: [ref 0]}`, with a `$` byte in it
 * (which makes the decoder's caller walk the value for `$`-pairs).
 */
function packedDag(levels: number): Uint8Array {
	const parts: number[] = [];
	for (let i = 0; i < levels; i++)
		parts.push(
			0xd8,
			0x33,
			0x84,
			0x91,
			...Array(16).fill(0xf6),
			0x82,
			0xc6,
			0x00,
			0xc6,
			0x00,
			0x24,
			0xf6,
		);
	parts.push(0xa1, ...text("args"), 0x81, 0xc6, 0x00);
	return Uint8Array.from(parts);
}

/** A packed table with a `prefix`-item prefix array, then `repeats` values each prefixed with it (tag 225). */
function packedPrefixes(prefix: number, repeats: number): Uint8Array {
	const parts = [
		0xd8,
		0x33,
		0x84,
		0x80,
		0x81,
		...head(4, prefix),
		...Array(prefix).fill(0x00),
		0x80,
	];
	parts.push(...head(4, repeats));
	for (let i = 0; i < repeats; i++) parts.push(0xd8, 0xe1, 0x80);
	return Uint8Array.from(parts);
}

/** An inline record definition (tag 0xdfff) of `keys` keys, then one record of each length (tag 0xe000). */
function records(keys: number): Uint8Array {
	const parts = [...head(4, 1 + keys), 0xd9, 0xdf, 0xff, ...head(4, 2), 0x19, 0xe0, 0x00];
	parts.push(...head(4, keys));
	for (let i = 0; i < keys; i++) parts.push(...text(`k${i}`));
	for (let length = 1; length <= keys; length++) {
		parts.push(0xd9, 0xe0, 0x00, ...head(4, length));
		for (let i = 0; i < length; i++) parts.push(0x00);
	}
	return Uint8Array.from(parts);
}

const protoName = [...Buffer.from("__proto__")];

describe("cbor-x's own extensions", () => {
	it("are refused before decoding, in time linear in the input", () => {
		const hostile: [string, Uint8Array][] = [
			["packed references (2^26 leaves)", packedDag(26)],
			["packed prefixes (2e6 items)", packedPrefixes(100_000, 20)],
			["records (1,400 shapes)", records(1_400)],
			["bundled strings", Uint8Array.from([0xd9, 0xdf, 0xf9, 0x83, 0x60, 0x60, 0x00])],
			["a packed reference alone", Uint8Array.from([0x81, 0xc6, 0x00])],
			["a record reference past 2^30", Uint8Array.from([0xda, 0x70, 0x00, 0x00, 0x01, 0x80])],
		];
		for (const [name, bytes] of hostile) {
			const started = performance.now();
			expect(() => decodeUntrusted("cbor", bytes, "body"), name).toThrow(
				expect.objectContaining({ group: "request", code: "malformed" }),
			);
			expect(() => decodeUntrustedInput(bytes), name).toThrow(
				expect.objectContaining({ code: "invalid_input" }),
			);
			// A client reading a server's reply checks the same.
			expect(() => decodeValue("cbor", bytes), name).toThrow(/cbor-x extension tag/);
			expect(performance.now() - started, name).toBeLessThan(200);
		}
	});

	it("generic objects (tag 27) are refused from clients, and read in replies", () => {
		// cbor-x calls `{ Error, RegExp }[name](a, b)`, inherited members included; it writes an
		// Error or a RegExp an action returns that way (a review: refused in replies too, an
		// action's output holding an Error failed as client/bad_response).
		for (const bytes of [
			Uint8Array.from([0xd8, 0x1b, 0x82, 0x6b, ...Buffer.from("constructor"), 0x01]),
			new Encoder({ useRecords: false }).encode([new Error("boom"), /x+/g]),
		]) {
			expect(() => decodeUntrusted("cbor", bytes, "body")).toThrow(
				expect.objectContaining({ group: "request", code: "malformed" }),
			);
			expect(() => decodeUntrustedInput(bytes)).toThrow(
				expect.objectContaining({ code: "invalid_input" }),
			);
		}
		expect(() =>
			decodeValue("cbor", new Encoder({ useRecords: false }).encode({ error: new Error("boom") })),
		).not.toThrow();
	});

	it("a typed array (tags 64 to 87) must wrap a byte string", () => {
		// cbor-x passed anything else to the array's constructor: a map `{ buffer: 1e8 }` under
		// tag 86 made an 800 MB Float64Array from 26 bytes (a review, 2026-11-27).
		const encoder = new Encoder({ useRecords: false });
		const before = process.memoryUsage().arrayBuffers;
		for (const tag of [64, 72, 85, 86, 87]) {
			const bytes = encoder.encode({ args: [new Tag({ buffer: 100_000_000 }, tag)] });
			expect(bytes.byteLength).toBeLessThan(40);
			expect(() => decodeUntrusted("cbor", bytes, "body"), String(tag)).toThrow(
				expect.objectContaining({ group: "request", code: "malformed" }),
			);
			expect(() => decodeValue("cbor", bytes), String(tag)).toThrow(/typed array/);
		}
		expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10_000_000);
		// What an encoder writes still reads.
		const floats = new Float64Array([1.5, -2]);
		expect(decodeUntrusted("cbor", encoder.encode({ args: [floats] }), "body")).toEqual({
			args: [floats],
		});
	});

	it("a value cbor-x fails on inside is malformed without naming cbor-x's code", () => {
		// A Set (tag 258) of a number: cbor-x threw "number 1 is not iterable (...)", which went
		// to the client as the error's message (an attacker probe, 2026-11-27).
		const bytes = new Encoder({ useRecords: false }).encode({ args: [new Tag(1, 258)] });
		expect(() => decodeUntrusted("cbor", bytes, "body")).toThrow(
			expect.objectContaining({
				group: "request",
				code: "malformed",
				message: expect.not.stringMatching(/iterable|Symbol/),
			}),
		);
		// The checks' own messages stay: they say what is wrong with the bytes.
		expect(() => decodeUntrusted("cbor", Uint8Array.of(0x82, 0x01), "body")).toThrow(
			/cbor: a container longer than the input/,
		);
	});

	it("are never needed for what Tenon's and RivetKit's encoders write", () => {
		const value = {
			when: new Date(1_700_000_000_000),
			big: 2n ** 70n,
			set: new Set([1, "a"]),
			map: new Map<unknown, unknown>([[1, { deep: [1, 2, 3] }]]),
			bytes: new Uint8Array([1, 2, 3]),
			floats: new Float64Array([1.5]),
			words: new Uint16Array([7]),
		};
		// RivetKit's client encodes with cbor-x's defaults.
		for (const bytes of [cborEncode(value), new Encoder({ useRecords: false }).encode(value)])
			expect(decodeUntrusted("cbor", bytes, "body")).toEqual(value);
	});

	it("a '__proto__' key is refused whatever its length header, and in chunks", () => {
		const forms = {
			canonical: [0xa1, 0x69, ...protoName, 0x01],
			longLength: [0xa1, 0x78, 0x09, ...protoName, 0x01],
			longerLength: [0xa1, 0x79, 0x00, 0x09, ...protoName, 0x01],
		};
		for (const [name, bytes] of Object.entries(forms)) {
			const data = Uint8Array.from(bytes);
			expect(() => decodeUntrusted("cbor", data, "body"), name).toThrow(
				expect.objectContaining({ code: "invalid_value" }),
			);
			expect(() => decodeUntrustedInput(data), name).toThrow(
				expect.objectContaining({ code: "invalid_input" }),
			);
		}
		// Text in chunks (indefinite length) does not decode at all.
		const chunks = Uint8Array.from([
			0xa1,
			0x7f,
			0x64,
			...protoName.slice(0, 4),
			0x65,
			...protoName.slice(4),
			0xff,
			0x01,
		]);
		expect(() => decodeUntrusted("cbor", chunks, "body")).toThrow(
			expect.objectContaining({ code: "malformed" }),
		);
	});

	it("over HTTP, 600 bytes of packed references gets a 400 at once and the server keeps serving", async () => {
		const counter = actor({
			state: { count: 0 },
			actions: { increment: (c) => ++c.state.count },
		});
		await using t = await setupTest(setup({ use: { counter }, logLevel: "silent" }));
		const started = performance.now();
		const answer = await postCbor(
			`${t.url}/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=a`,
			packedDag(28),
		);
		expect(outcome(answer)).toEqual({ status: 400, group: "request", code: "malformed" });
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(await t.client.counter.getOrCreate("a").increment()).toBe(1);
	});
});
