// Text and blob parameters reach SQLite through one reused buffer in the
// WebAssembly memory (db/wasm-scratch.ts): every value must arrive with its
// exact bytes, whatever came before it (a longer value, a non-ASCII one, a
// buffer grown past what is kept).
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function hexOf(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex").toUpperCase();
}

/** Strings around the short/long and ASCII/non-ASCII edges of the binder. */
function textCases(): string[] {
	return [
		"",
		"a",
		"a".repeat(63),
		"a".repeat(64),
		"a".repeat(65),
		"é",
		"héllo wörld",
		"日本語のテキスト",
		"😀",
		`${"a".repeat(62)}😀`, // 64 units: the short path, ending in a surrogate pair
		`${"a".repeat(63)}😀`, // 65 units: the long path
		`${"a".repeat(63)}é`,
		"\ud800", // lone surrogates become U+FFFD, as TextEncoder does
		"a\udc00b",
		`${"b".repeat(100)}\ud83d`,
		"ü".repeat(5_000),
		"x".repeat(200_000), // past the kept buffer
		"short again",
		"nul\u0000inside",
	];
}

const binder = actor({
	db: db({ onMigrate: (db) => db.execute("CREATE TABLE IF NOT EXISTS t (v)") }),
	actions: {
		/** Binds each case and reads back what SQLite stored: its bytes, type and text. */
		texts: async (c) => {
			const failures: string[] = [];
			for (const [i, value] of textCases().entries()) {
				const [row] = await c.db.execute<{ kind: string; hex: string; text: string }>(
					"SELECT typeof(?1) AS kind, hex(CAST(?1 AS BLOB)) AS hex, ?1 AS text",
					value,
				);
				const expected = encoder.encode(value);
				if (row?.kind !== "text") failures.push(`case ${i}: stored as ${row?.kind}`);
				else if (row.hex !== hexOf(expected)) failures.push(`case ${i}: bytes differ`);
				else if (row.text !== decoder.decode(expected)) failures.push(`case ${i}: text differs`);
			}
			return failures;
		},
		/** Blobs of several sizes, interleaved with text, stored and read back. */
		blobs: async (c) => {
			const sizes = [0, 1, 1_000, 70_000, 3, 1024 * 1024, 0, 17];
			const failures: string[] = [];
			for (const [i, size] of sizes.entries()) {
				const blob = new Uint8Array(size);
				for (let j = 0; j < size; j++) blob[j] = (j * 7 + i) & 0xff;
				await c.db.execute("DELETE FROM t");
				await c.db.execute("INSERT INTO t (v) VALUES (?)", blob);
				await c.db.execute("INSERT INTO t (v) VALUES (?)", `after ${i}`);
				const rows = await c.db.execute<{ v: Uint8Array | string; kind: string }>(
					"SELECT v, typeof(v) AS kind FROM t ORDER BY rowid",
				);
				const stored = rows[0]?.v;
				if (rows[0]?.kind !== "blob") failures.push(`blob ${i}: stored as ${rows[0]?.kind}`);
				else if (!(stored instanceof Uint8Array) || hexOf(stored) !== hexOf(blob))
					failures.push(`blob ${i}: bytes differ`);
				if (rows[1]?.v !== `after ${i}`) failures.push(`blob ${i}: the text after it differs`);
			}
			return failures;
		},
		/** An ArrayBuffer parameter is bound as a blob of its bytes. */
		arrayBuffer: async (c) => {
			const [row] = await c.db.execute<{ hex: string }>(
				"SELECT hex(?) AS hex",
				Uint8Array.of(0, 255, 16).buffer,
			);
			return row?.hex;
		},
	},
});

const registry = setup({ use: { binder }, logLevel: "silent" });

describe("binding text and blob parameters", () => {
	it("hands every string to SQLite as its exact UTF-8 bytes, never as NULL", async () => {
		await using t = await setupTest(registry, { storage: memoryDriver() });
		expect(await t.client.binder.getOrCreate("text").texts()).toEqual([]);
	});

	it("stores blobs of every size intact, and text bound after them too", async () => {
		await using t = await setupTest(registry, { storage: memoryDriver() });
		expect(await t.client.binder.getOrCreate("blob").blobs()).toEqual([]);
		expect(await t.client.binder.getOrCreate("blob").arrayBuffer()).toBe("00FF10");
	});
});
