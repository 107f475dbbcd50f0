// BARE lengths of 16 KiB and more. @bare-ts/lib 0.6.0's `writeUintSafe32`
// (behind its `writeU8Array` and `writeString`) writes the low 7 bits again as
// the second byte of a varint of three bytes or more, so a string or byte
// array of 16,384 bytes or longer got a wrong length prefix: every action
// output, event and argument that large broke BARE clients ("missing bytes").
// The codec uses RivetKit's fork (@rivetkit/bare-ts), which writes them right;
// these round-trip every boundary, and a real client gets a large event and
// output intact.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, event, setup } from "../../src/index.js";
import {
	readHttpActionResponse,
	readToClient,
	readToServer,
	writeHttpActionResponse,
	writeToClient,
	writeToServer,
} from "../../src/protocol/bare-codec.js";
import { setupTest } from "../../src/test/index.js";

const LENGTHS = [0, 1, 127, 128, 16_383, 16_384, 16_400, 65_536, 2_097_151, 2_097_152, 3_000_000];

describe("BARE lengths", () => {
	it("byte arrays of every varint width round-trip", () => {
		// Compared as Buffers: vitest's deep equality walks megabytes slowly.
		const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
		for (const length of LENGTHS) {
			const bytes = new Uint8Array(length).map((_, i) => i % 251);
			const event = readToClient(writeToClient({ tag: "Event", name: "e", args: bytes }));
			expect(event.tag === "Event" && same(event.args, bytes), `event of ${length}`).toBe(true);
			const response = readHttpActionResponse(writeHttpActionResponse(bytes));
			expect(same(response.output, bytes), `output of ${length}`).toBe(true);
			const request = readToServer(
				writeToServer({ tag: "ActionRequest", id: 1n, name: "a", args: bytes }),
			);
			expect(
				request.tag === "ActionRequest" && same(request.args, bytes),
				`request of ${length}`,
			).toBe(true);
		}
	});

	it("strings of every varint width round-trip, multi-byte characters included", () => {
		for (const length of LENGTHS.filter((n) => n <= 65_536)) {
			const name = "é".repeat(length >> 1) + "x".repeat(length & 1);
			const event = readToClient(writeToClient({ tag: "Event", name, args: new Uint8Array() }));
			expect(event).toMatchObject({ tag: "Event", name });
		}
	});
});

const room = actor({
	state: {},
	events: { tick: event<{ pad: string }>() },
	actions: {
		shout: (c, size: number) => {
			c.broadcast("tick", { pad: "é".repeat(size) });
			return "é".repeat(size);
		},
	},
});
const registry = setup({ use: { room }, logLevel: "silent" });

it("a BARE client gets events and outputs of 16 KiB and more intact", async () => {
	await using t = await setupTest(registry);
	const client = createClient<typeof registry>({ endpoint: t.url, encoding: "bare" });
	const conn = client.room.getOrCreate("large").connect();
	const seen: number[] = [];
	conn.on("tick", ({ pad }) => seen.push(pad.length));
	for (const size of [100, 8_200, 40_000]) expect((await conn.shout(size)).length).toBe(size);
	await expect.poll(() => seen).toEqual([100, 8_200, 40_000]);
	expect((await client.room.getOrCreate("large").shout(20_000)).length).toBe(20_000);
	await client.dispose();
});
