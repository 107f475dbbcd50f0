import { describe, expect, it } from "vitest";
import { CommitLog, replayLog } from "../../src/storage/drivers/lmdb/commit-log.js";
import { LOG_BLOCK } from "../../src/storage/drivers/lmdb/log-file.js";
import {
	decodeOps,
	encodeRecord,
	type LogOp,
	readRecord,
} from "../../src/storage/drivers/lmdb/log-record.js";
import { PowerLossLogFile } from "../helpers/power-loss-log-file.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const put = (actorId: string, key: string, value: string): LogOp => ({
	kind: "put",
	actorId,
	key: bytes(key),
	value: bytes(value),
});

/** A log file holding `records` one after the other from its start. */
function fileWith(records: Uint8Array[], size = 16 * LOG_BLOCK): PowerLossLogFile {
	const image = new Uint8Array(size);
	let at = 0;
	for (const record of records) {
		image.set(record, at);
		at += record.length;
	}
	return new PowerLossLogFile(image);
}

const group = (n: number) => [put("actor-a", `k${n}`, `v${n}`)];
const keysOf = (groups: LogOp[][]) =>
	groups.map((ops) => new TextDecoder().decode((ops[0] as { key: Uint8Array }).key));

/** The pass the records of these tests carry. */
const PASS = 0x5eed;

/**
 * Records as Tenon wrote them until 2026-11-24 (format "TNL1": no pass, the
 * first 8 bytes of SHA-256 over the first 16 header bytes and the payload),
 * written by that code (486972c): `put actor-a k<n> = v<n>` for n = 5, 6, 7.
 */
const TNL1_HEX: Record<number, string> = {
	5: "544e4c310000001500000000000000058a8476198e3cb98e01076163746f722d61000000026b35000000027635",
	6: "544e4c310000001500000000000000067936bbb5025c43fe01076163746f722d61000000026b36000000027636",
	7: "544e4c31000000150000000000000007980782896f027ae301076163746f722d61000000026b37000000027637",
};
function tnl1Record(n: number): Uint8Array {
	const record = new Uint8Array(LOG_BLOCK);
	record.set(Buffer.from(TNL1_HEX[n] as string, "hex"));
	return record;
}

describe("commit log records", () => {
	it("round-trips every kind of write, padded to whole blocks", () => {
		const ops: LogOp[] = [
			put("a", "", ""),
			put("actor-b", "key", "x".repeat(5000)),
			// Ids outside ASCII (2, 3 and 4 bytes per character in UTF-8) are written as UTF-8.
			put("акт-€-😀", "k", "v"),
			{ kind: "delete", actorId: "a", key: Uint8Array.of(0, 255) },
			{ kind: "fence", actorId: "a", fence: 7 },
			{ kind: "alarm", actorId: "a", at: 1_700_000_000_123 },
			{ kind: "alarm", actorId: "a", at: null },
		];
		const record = encodeRecord(2 ** 40 + 3, ops, PASS);
		expect(record.length % LOG_BLOCK).toBe(0);
		const read = readRecord(record);
		expect(read?.seq).toBe(2 ** 40 + 3);
		expect(read?.pass).toBe(PASS);
		expect(decodeOps(read?.payload as Uint8Array)).toEqual(ops);
	});

	it("refuses an actor id over 255 bytes of UTF-8", () => {
		expect(encodeRecord(1, [put("x".repeat(255), "k", "v")], PASS).length).toBe(LOG_BLOCK);
		expect(() => encodeRecord(1, [put("é".repeat(128), "k", "v")], PASS)).toThrow(/too long/);
	});

	it("reads records of the format written before 2026-11-24 (TNL1), once, in a directory without a pass", () => {
		const old = tnl1Record(7);
		expect(readRecord(old)).toMatchObject({ seq: 7, pass: undefined });
		const damaged = old.slice();
		damaged[30] = (damaged[30] as number) ^ 1;
		expect(readRecord(damaged)).toBeUndefined();
		// The first start after the upgrade: no pass stored yet, the old records after the last checkpoint replay.
		const file = fileWith([tnl1Record(5), tnl1Record(6), tnl1Record(7)]);
		const replay = replayLog(file, 5, undefined);
		expect(keysOf(replay.groups)).toEqual(["k6", "k7"]);
		expect(replay.lastSeq).toBe(7);
		// Once a pass is stored, they are an earlier pass's records: never read again.
		expect(replayLog(file, 5, PASS).groups).toEqual([]);
		// And without a pass, no record of the new format is read.
		expect(replayLog(fileWith([encodeRecord(6, group(6), PASS)]), 5, undefined).groups).toEqual([]);
	});

	it("encodes into a reused scratch buffer exactly what it encodes into a new one", () => {
		const scratch = new Uint8Array(4 * LOG_BLOCK).fill(0xee);
		const large = [put("actor-a", "k", "x".repeat(2 * LOG_BLOCK))];
		expect(encodeRecord(3, large, PASS, scratch)).toEqual(encodeRecord(3, large, PASS));
		// A smaller record after it: the larger one's bytes must not show through its padding.
		expect(encodeRecord(4, group(4), PASS, scratch)).toEqual(encodeRecord(4, group(4), PASS));
		// Too large for the scratch: a buffer of its own, the scratch untouched.
		const before = scratch.slice();
		const huge = [put("actor-a", "k", "y".repeat(5 * LOG_BLOCK))];
		expect(encodeRecord(5, huge, PASS, scratch)).toEqual(encodeRecord(5, huge, PASS));
		expect(scratch).toEqual(before);
	});

	it("rejects a record with any byte changed", () => {
		const record = encodeRecord(1, group(1), PASS);
		// magic, length, seq, pass, CRC, payload
		for (const at of [0, 5, 9, 17, 21, 30]) {
			const damaged = record.slice();
			damaged[at] = (damaged[at] as number) ^ 1;
			expect(readRecord(damaged), `byte ${at}`).toBeUndefined();
		}
	});
});

describe("commit log replay", () => {
	it("replays every record after the applied one, in order", () => {
		const file = fileWith([1, 2, 3, 4].map((n) => encodeRecord(n, group(n), PASS)));
		const replay = replayLog(file, 0, PASS);
		expect(keysOf(replay.groups)).toEqual(["k1", "k2", "k3", "k4"]);
		expect(replay.lastSeq).toBe(4);
		// The first record of a pass follows the checkpoint before it; nothing else does.
		expect(replayLog(file, 2, PASS).groups).toEqual([]);
	});

	it("stops at a torn tail", () => {
		const records = [1, 2, 3].map((n) =>
			encodeRecord(n, [put("a", `k${n}`, "v".repeat(3000))], PASS),
		);
		const torn = (records[2] as Uint8Array).slice();
		torn.fill(0, 1024); // only the first sectors of the last record reached the disk
		const replay = replayLog(fileWith([records[0], records[1], torn] as Uint8Array[]), 0, PASS);
		expect(replay.groups).toHaveLength(2);
		expect(replay.lastSeq).toBe(2);
	});

	it("stops at a checksum mismatch, even when valid records follow", () => {
		const records = [1, 2, 3].map((n) => encodeRecord(n, group(n), PASS));
		const damaged = (records[1] as Uint8Array).slice();
		damaged[30] = (damaged[30] as number) ^ 0xff;
		const replay = replayLog(fileWith([records[0], damaged, records[2]] as Uint8Array[]), 0, PASS);
		expect(keysOf(replay.groups)).toEqual(["k1"]);
	});

	it("stops at a gap in the sequence numbers", () => {
		const file = fileWith([1, 2, 4, 5].map((n) => encodeRecord(n, group(n), PASS)));
		expect(keysOf(replayLog(file, 0, PASS).groups)).toEqual(["k1", "k2"]);
		// A first record that does not follow the applied one is no successor either.
		expect(replayLog(fileWith([encodeRecord(9, group(9), PASS)]), 7, PASS).groups).toEqual([]);
	});

	it("ignores records of an earlier pass after the log was rewound, even one with the next sequence number", () => {
		// Pass one wrote 1..6; a checkpoint applied 1..4 (say the others were a crash's
		// unacknowledged tail); the log started over with pass two, whose record 5 takes
		// two blocks, over the old 1 and 2. The old 3 follows it, and old records 5 and 6
		// sit at blocks 4 and 5; none is pass two's.
		const old = [1, 2, 3, 4, 5, 6].map((n) => encodeRecord(n, group(n), PASS));
		const image = fileWith(old);
		image.writeSync(encodeRecord(5, [put("a", "k5-new", "v".repeat(5000))], PASS + 1), 0);
		const replay = replayLog(image, 4, PASS + 1);
		expect(keysOf(replay.groups)).toEqual(["k5-new"]);
		expect(replay.lastSeq).toBe(5);
		// Right behind the new record 5, a record 6 of pass one: not read either.
		const behind = fileWith([encodeRecord(5, group(5), PASS + 1), encodeRecord(6, group(6), PASS)]);
		expect(keysOf(replayLog(behind, 4, PASS + 1).groups)).toEqual(["k5"]);
	});

	it("reads a record that ends exactly at the end of the file", () => {
		const records = [1, 2, 3, 4].map((n) => encodeRecord(n, group(n), PASS));
		const file = fileWith(records, 4 * LOG_BLOCK);
		expect(replayLog(file, 0, PASS).groups).toHaveLength(4);
	});

	it("is idempotent: replaying again after applying gives the same groups", () => {
		const file = fileWith([1, 2, 3].map((n) => encodeRecord(n, group(n), PASS)));
		const first = replayLog(file, 0, PASS);
		const second = replayLog(file, 0, PASS);
		expect(second).toEqual(first);
		expect(replayLog(file, first.lastSeq, PASS).groups).toEqual([]);
	});
});

describe("commit log appends", () => {
	it("writes records back to back, makes room when full, and refuses after a failed sync", () => {
		const file = new PowerLossLogFile(new Uint8Array(2 * LOG_BLOCK));
		const log = new CommitLog(file, 1, PASS);
		let rooms = 0;
		const makeRoom = () => {
			rooms++;
			log.rewind(PASS + rooms);
		};
		for (let n = 1; n <= 3; n++) log.writeSync(log.reserve(group(n), makeRoom));
		expect(rooms).toBe(1);
		expect(log.lastSeq).toBe(3);
		// After the rewind, record 3 (pass two) sits at the start and record 2 (pass one) behind it.
		expect(keysOf(replayLog(file, 2, PASS + 1).groups)).toEqual(["k3"]);
		file.cutAtSync(1);
		expect(() => log.writeSync(log.reserve(group(4), makeRoom))).toThrow("power cut");
		expect(() => log.reserve(group(5), makeRoom)).toThrow(/failed earlier/);
	});

	it("refuses to reserve a record while the one before is not written (its bytes may share a buffer)", () => {
		const log = new CommitLog(new PowerLossLogFile(new Uint8Array(4 * LOG_BLOCK)), 1, PASS);
		const first = log.reserve(group(1), () => {});
		expect(() => log.reserve(group(2), () => {})).toThrow(/before the last one was written/);
		log.writeSync(first);
		expect(() => log.reserve(group(2), () => {})).not.toThrow();
	});
});
