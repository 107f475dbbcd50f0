// The per-connection limit on step 1s (250 ms between any two,
// limit/yjs_too_many_syncs) is keyed on `message[0] === 0`, while the message
// type is read as a varuint: a step 1 whose type was written in two bytes
// (0x80 0x00, also 0) was answered as a step 1 and skipped the limit (a
// review, 2026-11-26). A type not in one byte is refused.
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";

const note = yjsActor({});
const registry = setup({ use: { note }, logLevel: "silent" });

function step1(canonical: boolean, sv: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	if (canonical) encoding.writeUint8(encoder, 0);
	else {
		encoding.writeUint8(encoder, 0x80);
		encoding.writeUint8(encoder, 0x00);
	}
	encoding.writeVarUint8Array(encoder, sv);
	return encoding.toUint8Array(encoder);
}

describe("step 1 rate per connection", () => {
	it("refuses a second step 1 within 250 ms however its type is encoded", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("varint").connect();
		const sv = Y.encodeStateVector(new Y.Doc());
		const codes: string[] = [];
		for (const canonical of [true, true, false, false, false]) {
			try {
				const replies = await conn.yjsSync(step1(canonical, sv));
				codes.push(`answered(${replies.length})`);
			} catch (error) {
				codes.push((error as { code?: string }).code ?? String(error));
			}
		}
		await conn.dispose();
		expect(codes).toEqual([
			"answered(2)",
			"yjs_too_many_syncs",
			"invalid_yjs_message",
			"invalid_yjs_message",
			"invalid_yjs_message",
		]);
	});
});
