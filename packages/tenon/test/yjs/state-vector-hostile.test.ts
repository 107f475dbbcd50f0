// A step 1 carries the client's state vector: a count, then a client id and a
// clock for each client. Yjs decodes it into a Map, and a Map of hundreds of
// thousands of distinct ids costs 300 to 600 ms to build; the actor decoded a
// step 1's state vector twice (a check, then the answer), and a step 1 over
// a connection is outside the budget (limited only to one every 250 ms per
// connection). One editor sending a 3.5 MB state vector of 600,000 made-up
// clients blocked the event loop, every actor of the process, for about a
// second per message (an attacker probe, 2026-11-26). Clients the document
// does not know are skipped as they are read, never collected.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { UPLOAD_PART_BYTES } from "../../src/yjs/parts.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { note, textUpdateMessage } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });

/** A step 1 whose state vector names `clients` made-up clients (distinct ids), each at clock 1. */
function hugeStep1(clients: number): Uint8Array {
	const vector = encoding.createEncoder();
	encoding.writeVarUint(vector, clients);
	for (let i = 0; i < clients; i++) {
		encoding.writeVarUint(vector, (i * 7919 + 1_000_003) % 2 ** 31);
		encoding.writeVarUint(vector, 1);
	}
	const message = encoding.createEncoder();
	encoding.writeVarUint(message, 0);
	encoding.writeVarUint8Array(message, encoding.toUint8Array(vector));
	return encoding.toUint8Array(message);
}

describe("a step 1 with a huge state vector", () => {
	it("is answered without blocking the loop for the clients it makes up", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("vector", { params: { user: "ann" } }).connect();
		await conn.yjsSync(textUpdateMessage("hello"));
		const message = hugeStep1(600_000);
		expect(message.byteLength).toBeGreaterThan(3_000_000);
		// Every part but the last first: the last one makes the message whole and is answered.
		const parts: [number, Uint8Array][] = [];
		for (let offset = 0; offset < message.byteLength; offset += UPLOAD_PART_BYTES)
			parts.push([offset, message.subarray(offset, offset + UPLOAD_PART_BYTES)]);
		const [lastOffset, lastPart] = parts.pop() as [number, Uint8Array];
		for (const [offset, part] of parts)
			expect(await conn.yjsSyncPart(1, offset, message.byteLength, part)).toBeNull();
		let replies: Uint8Array[] | null = null;
		const worst = await worstStallDuring(async () => {
			replies = await conn.yjsSyncPart(1, lastOffset, message.byteLength, lastPart);
		});
		// Before: 600 ms to 1.2 s in one stall (two decodings of the whole vector).
		expect(worst).toBeLessThan(150);
		expect(replies).not.toBeNull();
		// The answer is the whole document: none of those clients is known here.
		const [step2] = replies as unknown as Uint8Array[];
		const decoder = decoding.createDecoder(step2 as Uint8Array);
		expect(decoding.readVarUint(decoder)).toBe(1);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, decoding.readVarUint8Array(decoder));
		expect(doc.getText("text").toString()).toBe("hello");
		await conn.dispose();
	}, 60_000);

	it("is refused as invalid when truncated or malformed, and the actor goes on", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("vector-bad", { params: { user: "ann" } }).connect();
		await conn.yjsSync(textUpdateMessage("kept"));
		const whole = hugeStep1(3);
		for (const bad of [
			whole.subarray(0, whole.byteLength - 1),
			Uint8Array.of(0, 3, 5, 0xff, 0xff),
			Uint8Array.of(0, 2, 1),
		]) {
			await new Promise((resolve) => setTimeout(resolve, 300));
			await expect(conn.yjsSync(bad)).rejects.toMatchObject({
				group: "request",
				code: "invalid_yjs_message",
			});
		}
		expect(await conn.text()).toBe("kept");
		await conn.dispose();
	});
});
