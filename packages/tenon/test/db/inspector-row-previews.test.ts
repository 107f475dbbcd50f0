// The inspector's rows view shows long texts and blobs as previews: whole, one 48 MiB text
// (an app appending to a document) made a 288 MB answer that the event loop wrote for 1.1 to
// 1.5 s, to the read-only token (an attacker probe, 2026-11-29). The SQL console refuses such
// values (1 MiB); the rows view shows their start and their size.
import { expect, it } from "vitest";
import { db } from "../../src/db/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const docs = actor({
	db: db({
		onMigrate: (db) =>
			db.execute("CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, body TEXT, data BLOB)"),
	}),
	actions: {
		add: (c, body: string, bytes: number) =>
			c.db.execute("INSERT INTO docs (body, data) VALUES (?, zeroblob(?))", body, bytes),
	},
});

const TOKEN = "inspect-row-previews";

it("shows long texts and blobs as their start and size, short ones whole", async () => {
	await using t = await setupTest(
		setup({ use: { docs }, inspector: { token: TOKEN }, logLevel: "silent" }),
	);
	const handle = t.client.docs.getOrCreate("d");
	await handle.add("short", 4);
	// é (two bytes) across the 2,048th byte: the preview stops before it.
	await handle.add(`${"\u0001".repeat(2_047)}é${"\u0001".repeat(3_000_000)}`, 1_000_000);
	const id = await handle.resolve();
	const response = await fetch(`${t.url}/inspector/actors/${id}/db/rows?table=docs`, {
		headers: { authorization: `Bearer ${TOKEN}` },
	});
	const text = await response.text();
	expect(text.length).toBeLessThan(40_000);
	const { rows } = JSON.parse(text) as { rows: unknown[][] };
	expect(rows[0]?.[1]).toBe("short");
	// A short blob in the same shape as a long one (a walkthrough: base64 in another shape).
	expect(rows[0]?.[2]).toEqual({ $bytes: "00000000", length: 4 });
	const long = rows[1]?.[1] as string;
	expect(long).toBe(`${"\u0001".repeat(2_047)}…(+${3_002_049 - 2_047} bytes)`);
	expect(rows[1]?.[2]).toEqual({ $bytes: "00".repeat(64), length: 1_000_000 });
});
