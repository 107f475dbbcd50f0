// readUpdateParts reads Yjs's update format itself (update-values.ts): its
// counts must equal what Yjs's own decoding builds, for every kind of
// content, and an update of too many values must be refused before Yjs
// decodes it.
import fc from "fast-check";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TEXT_CONTROLS } from "../../src/yjs/content-kinds.js";
import { yjsActor } from "../../src/yjs/index.js";
import { MAX_UPDATE_VALUES, readUpdateParts } from "../../src/yjs/update-values.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { expectRefusedUnblocked, syncDecided, updateMessage } from "./fixtures.js";
import { manyEmptyObjects } from "./hostile-shapes.js";

/** Values lib0 builds for one embedded value: itself, and each key and value inside. */
function anyValues(value: unknown): number {
	if (Array.isArray(value))
		return 1 + value.reduce((sum: number, item) => sum + anyValues(item), 0);
	if (typeof value === "object" && value !== null && !(value instanceof Uint8Array))
		return 1 + Object.values(value).reduce((sum: number, item) => sum + 1 + anyValues(item), 0);
	return 1;
}

/** JSON nodes as counted: one, and one per `{`, `[`, `,` or `:` of the text Yjs writes. */
function jsonValues(value: unknown): number {
	const text = value === undefined ? "undefined" : JSON.stringify(value);
	return 1 + [...text].filter((char) => "{[,:".includes(char)).length;
}

/** Values of `update`, as readUpdateParts counts them. */
const countUpdateValues = (update: Uint8Array) => readUpdateParts(update).values;

/** Control characters but tab and line feed (content-kinds.ts TEXT_CONTROLS). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** What Yjs's decoding of `update` builds, counted as readUpdateParts counts. */
function expectedParts(update: Uint8Array): {
	values: number;
	structs: number;
	ranges: number;
	subdocuments: number;
	contentKinds: number;
} {
	const decoded = Y.decodeUpdate(update);
	let ranges = 0;
	for (const list of decoded.ds.clients.values()) ranges += list.length;
	const subdocuments = decoded.structs.filter(
		(struct) => struct instanceof Y.Item && struct.content instanceof Y.ContentDoc,
	).length;
	// The kinds of content its items hold, as Yjs names them (allowedContent checks these).
	let contentKinds = 0;
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item)) continue;
		contentKinds |= 1 << struct.content.getRef();
		// A string holding a control character (but tab and line feed): content-kinds.ts.
		if (struct.content instanceof Y.ContentString && CONTROLS.test(struct.content.str))
			contentKinds |= TEXT_CONTROLS;
	}
	return {
		values: expectedValues(update),
		structs: decoded.structs.length,
		ranges,
		subdocuments,
		contentKinds,
	};
}

/**
 * Checks `parts.writes` (client, first clock, most end clock per group of
 * structs) against Yjs's decoding of `update`: every struct Yjs decodes lies
 * within a group of its client, and the groups span exactly the structs'
 * lengths, a string's counted as its UTF-8 bytes (at least its UTF-16 length).
 */
function expectWritesOf(update: Uint8Array, writes: readonly number[]): void {
	const structs = Y.decodeUpdate(update).structs;
	let spanned = 0;
	for (let i = 0; i < writes.length; i += 3)
		spanned += (writes[i + 2] as number) - (writes[i + 1] as number);
	let expected = 0;
	for (const struct of structs) {
		const content = struct instanceof Y.Item ? struct.content : undefined;
		expected +=
			content instanceof Y.ContentString
				? Math.max(1, Buffer.byteLength(content.str))
				: struct.length;
		let within = false;
		for (let i = 0; i < writes.length && !within; i += 3)
			within =
				writes[i] === struct.id.client &&
				(writes[i + 1] as number) <= struct.id.clock &&
				struct.id.clock + struct.length <= (writes[i + 2] as number);
		expect(within, `struct ${struct.id.client}:${struct.id.clock}`).toBe(true);
	}
	expect(spanned).toBe(expected);
}

/** Values of what Yjs's decoding of `update` builds. */
function expectedValues(update: Uint8Array): number {
	let values = 0;
	for (const struct of Y.decodeUpdate(update).structs) {
		if (!(struct instanceof Y.Item)) continue;
		const content = struct.content;
		if (content instanceof Y.ContentAny) for (const item of content.arr) values += anyValues(item);
		else if (content instanceof Y.ContentJSON)
			for (const item of content.arr) values += jsonValues(item);
		else if (content instanceof Y.ContentEmbed) values += jsonValues(content.embed);
		else if (content instanceof Y.ContentFormat) values += jsonValues(content.value);
		else if (content instanceof Y.ContentDoc) values += anyValues(content.opts);
	}
	return values;
}

/** JSON-like values as apps put them in maps and arrays (lib0 keeps what JSON would, and bytes). */
const embedded = fc.letrec((tie) => ({
	value: fc.oneof(
		{ depthSize: "small", withCrossShrink: true },
		fc.constantFrom(null, true, false, undefined, 0, -1, 2 ** 31, 2 ** 53, 1.5, Math.PI),
		fc.integer(),
		fc.double({ noNaN: true }),
		fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
		fc.string({ maxLength: 20 }),
		fc.uint8Array({ maxLength: 8 }),
		fc.array(tie("value"), { maxLength: 4 }),
		fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4, noNullPrototype: true }),
	),
})).value;

/** A value a map or array takes (Yjs refuses a bigint or undefined there, though not inside one). */
const entry = embedded.filter((value) => typeof value !== "bigint" && value !== undefined);

/** Values of JSON contents (formats, embeds, ContentJSON): what JSON.stringify writes. */
const json = fc.jsonValue({ maxDepth: 3 });

/** One edit of a document, by kind of content. */
const edit = fc.oneof(
	fc.record({
		kind: fc.constant("map" as const),
		key: fc.string({ maxLength: 4 }),
		value: entry,
	}),
	fc.record({ kind: fc.constant("array" as const), values: fc.array(entry, { maxLength: 5 }) }),
	fc.record({
		kind: fc.constant("text" as const),
		text: fc.oneof(
			fc.string({ minLength: 1, maxLength: 8, unit: "grapheme" }),
			// Control characters among others (controlCharacters: "refuse" reads them).
			fc.string({
				minLength: 1,
				maxLength: 8,
				unit: fc.constantFrom("\r", "\n", "\t", "\u0000", "\u001b", "\u007f", "a", "é", "\u2028"),
			}),
		),
		format: fc.option(
			fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2, noNullPrototype: true }),
		),
	}),
	fc.record({
		kind: fc.constant("embed" as const),
		embed: fc.dictionary(fc.string({ maxLength: 4 }), json, {
			maxKeys: 3,
			noNullPrototype: true,
		}),
	}),
	fc.record({ kind: fc.constant("xml" as const), name: fc.string({ minLength: 1, maxLength: 6 }) }),
	fc.record({
		kind: fc.constant("nested" as const),
		key: fc.string({ maxLength: 4 }),
		value: entry,
	}),
	fc.record({ kind: fc.constant("delete" as const), at: fc.nat(20) }),
	fc.record({ kind: fc.constant("subdocument" as const), key: fc.string({ maxLength: 4 }) }),
	fc.record({ kind: fc.constant("json" as const), value: json }),
);

function applyEdit(doc: Y.Doc, change: unknown): void {
	const e = change as { kind: string } & Record<string, unknown>;
	const text = doc.getText("text");
	const array = doc.getArray("array");
	switch (e.kind) {
		case "map":
			doc.getMap("map").set(e.key as string, e.value);
			return;
		case "array":
			array.insert(array.length, e.values as unknown[]);
			return;
		case "text":
			text.insert(
				text.length,
				e.text as string,
				(e.format as Record<string, unknown>) ?? undefined,
			);
			return;
		case "embed":
			text.insertEmbed(text.length, e.embed as Record<string, unknown>);
			return;
		case "xml": {
			const element = new Y.XmlElement(e.name as string);
			element.setAttribute("a", "b");
			element.insert(0, [new Y.XmlText("hi")]);
			// A hook (a type with a name, as an element is); Yjs's types leave it out of `insert`.
			const hook = new Y.XmlHook(e.name as string) as unknown as Y.XmlText;
			doc.getXmlFragment("xml").insert(0, [element, hook]);
			return;
		}
		case "nested": {
			const map = new Y.Map<unknown>();
			map.set(e.key as string, e.value);
			array.insert(0, [map]);
			return;
		}
		case "subdocument":
			doc.getMap("map").set(e.key as string, new Y.Doc({ meta: { at: e.key } }));
			return;
		case "delete":
			if (text.length > 0) text.delete((e.at as number) % text.length, 1);
			if (array.length > 0) array.delete((e.at as number) % array.length, 1);
			return;
		case "json": {
			// ContentJSON: what Yjs before 13.3 wrote for values (still read, and still valid).
			const content = new Y.ContentJSON([e.value]);
			const item = new Y.Item(
				Y.createID(doc.clientID, Y.getState(doc.store, doc.clientID)),
				null,
				null,
				null,
				null,
				doc.getArray("json"),
				null,
				content,
			);
			doc.transact((transaction) => item.integrate(transaction, 0));
		}
	}
}

describe("readUpdateParts", () => {
	it("counts what Yjs decodes, for every kind of content, whole and incremental", () => {
		fc.assert(
			fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), fc.boolean(), (edits, gc) => {
				const doc = new Y.Doc({ gc });
				const updates: Uint8Array[] = [];
				doc.on("update", (update: Uint8Array) => updates.push(update));
				for (const change of edits) applyEdit(doc, change);
				const whole = Y.encodeStateAsUpdate(doc);
				for (const update of [whole, ...updates, Y.mergeUpdates(updates.slice(1))]) {
					const { writes, ...counts } = readUpdateParts(update);
					expect(counts).toEqual(expectedParts(update));
					expectWritesOf(update, writes);
				}
			}),
			{ numRuns: 400 },
		);
	});

	it("reads the hand-built update of many objects as Yjs does", () => {
		const update = manyEmptyObjects(3);
		expect(countUpdateValues(update)).toBe(4);
		expect(expectedValues(update)).toBe(4);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, update);
		expect(doc.getMap("m").toJSON()).toEqual({ k: [{}, {}, {}] });
	});

	it("counts skips, GCs and clients listed twice as Yjs does, and refuses a GC or skip with flags", () => {
		const author = new Y.Doc();
		author.clientID = 1;
		const updates: Uint8Array[] = [];
		author.on("update", (update: Uint8Array) => updates.push(update));
		for (let i = 0; i < 5; i++) author.getText("t").insert(0, `x${i}`);
		const collected = new Y.Doc();
		collected.clientID = 2;
		collected.getArray("a").insert(0, [new Y.Map()]);
		collected.getArray("a").delete(0, 1);
		const built = (write: (encoder: encoding.Encoder) => void) => {
			const encoder = encoding.createEncoder();
			write(encoder);
			return encoding.toUint8Array(encoder);
		};
		// Client 7 twice in the structs (GCs of 5), client 9 three times in the delete set.
		const twice = built((e) => {
			encoding.writeVarUint(e, 2);
			for (const clock of [0, 5]) for (const n of [1, 7, clock, 0, 5]) encoding.writeVarUint(e, n);
			encoding.writeVarUint(e, 3);
			for (let i = 0; i < 3; i++)
				for (const n of [9, 2, i * 10, 1, i * 10 + 5, 1]) encoding.writeVarUint(e, n);
		});
		const cases = [
			Y.mergeUpdates([updates[0], updates[2], updates[4]] as Uint8Array[]), // skips for the gaps
			Y.encodeStateAsUpdate(collected), // a GC
			twice,
		];
		for (const update of cases) {
			const { writes, ...counts } = readUpdateParts(update);
			expect(counts).toEqual(expectedParts(update));
			expectWritesOf(update, writes);
		}
		// Client 7's two groups, as listed (GCs of 5 clocks from 0 and from 5).
		expect(readUpdateParts(twice).writes).toEqual([7, 0, 5, 7, 5, 10]);
		expect(expectedParts(cases[0] as Uint8Array).structs).toBeGreaterThan(3);
		// A skip (10) or a GC (0) with a flag bit: Yjs's decoder refuses it, and so does the count.
		for (const info of [0x8a, 0x80, 0x2a])
			expect(() =>
				readUpdateParts(
					built((e) => {
						for (const n of [1, 1, 7, 0]) encoding.writeVarUint(e, n);
						encoding.writeUint8(e, info);
						encoding.writeVarUint(e, 3);
						encoding.writeVarUint(e, 0);
					}),
				),
			).toThrow(expect.objectContaining({ code: "invalid_yjs_message" }));
	});

	it("refuses what it cannot read, as malformed", () => {
		const doc = new Y.Doc();
		doc.getMap("m").set("k", { a: [1, "x", { b: null }] });
		const update = Y.encodeStateAsUpdate(doc);
		for (let cut = 1; cut < update.length - 2; cut++) {
			let outcome: unknown;
			try {
				outcome = countUpdateValues(update.subarray(0, cut));
			} catch (error) {
				outcome = error;
			}
			// Either refused as malformed, or counted (then Yjs refuses it when it decodes).
			if (typeof outcome !== "number")
				expect(outcome).toMatchObject({ group: "request", code: "invalid_yjs_message" });
		}
		// An unknown content kind, and an unknown value tag.
		expect(() => countUpdateValues(Uint8Array.of(1, 1, 1, 0, 0x1b))).toThrow(
			expect.objectContaining({ code: "invalid_yjs_message" }),
		);
		const bad = Uint8Array.from(update);
		bad[bad.indexOf(118)] = 50; // the object's tag
		expect(() => countUpdateValues(bad)).toThrow(
			expect.objectContaining({ code: "invalid_yjs_message" }),
		);
	});
});

describe("an update of too many embedded values", () => {
	it("is refused before Yjs decodes it, and the server keeps serving", async () => {
		const update = manyEmptyObjects(1_900_000);
		// Counting stops at the limit: a small part of what decoding it takes (150 to 300 ms).
		// Its first run, unoptimized, read 54 ms once beside other tests (2026-11-25).
		// CPU time, not wall time: on a loaded machine the wall clock also counts other processes.
		const started = process.cpuUsage();
		expect(() => countUpdateValues(update)).toThrow(
			expect.objectContaining({ group: "limit", code: "yjs_update_too_complex" }),
		);
		const used = process.cpuUsage(started);
		expect((used.user + used.system) / 1000).toBeLessThan(100);
		const doc = yjsActor({
			actions: { stateVector: (c) => Y.encodeStateVector(c.vars.document.doc) },
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("values");
		await expectRefusedUnblocked(handle, updateMessage(update));
		// Over and over: each is refused without blocking the loop.
		const worst = await worstStallDuring(async () => {
			for (let i = 0; i < 5; i++)
				await expect(handle.yjsSync(updateMessage(update))).rejects.toMatchObject({
					code: "yjs_update_too_complex",
				});
		});
		// Decoded and applied, each blocked the loop for 300 to 580 ms.
		expect(worst).toBeLessThan(150);
		// An honest update at the limit is applied.
		const honest = new Y.Doc();
		honest.getMap("map").set(
			"shapes",
			Array.from({ length: (MAX_UPDATE_VALUES - 1) / 3 }, (_, i) => ({ i })),
		);
		const before = await handle.stateVector();
		const update2 = Y.encodeStateAsUpdate(honest);
		expect(countUpdateValues(update2)).toBe(MAX_UPDATE_VALUES);
		await syncDecided(handle, updateMessage(update2));
		expect(await handle.stateVector()).not.toEqual(before);
	});
});
