import { createHash } from "node:crypto";
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

/**
 * A record as Tenon wrote it until 2026-11-24 (format "TNL1": the first 8
 * bytes of SHA-256 over the first 16 header bytes and the payload).
 */
function sha256Record(seq: number, ops: LogOp[]): Uint8Array {
	const record = encodeRecord(seq, ops);
	const view = new DataView(record.buffer);
	view.setUint32(0, 0x544e4c31);
	const payload = record.subarray(24, 24 + view.getUint32(4));
	const hash = createHash("sha256").update(record.subarray(0, 16)).update(payload).digest();
	record.set(hash.subarray(0, 8), 16);
	return record;
}

describe("commit log records", () => {
	it("round-trips every kind of write, padded to whole blocks", () => {
		const ops: LogOp[] = [
			put("a", "", ""),
			put("actor-b", "key", "x".repeat(5000)),
			{ kind: "delete", actorId: "a", key: Uint8Array.of(0, 255) },
			{ kind: "fence", actorId: "a", fence: 7 },
			{ kind: "alarm", actorId: "a", at: 1_700_000_000_123 },
			{ kind: "alarm", actorId: "a", at: null },
		];
		const record = encodeRecord(2 ** 40 + 3, ops);
		expect(record.length % LOG_BLOCK).toBe(0);
		const read = readRecord(record);
		expect(read?.seq).toBe(2 ** 40 + 3);
		expect(decodeOps(read?.payload as Uint8Array)).toEqual(ops);
	});

	it("reads records of the SHA-256 format written before 2026-11-24, and replays a log of them", () => {
		const old = sha256Record(7, group(7));
		expect(readRecord(old)?.seq).toBe(7);
		const damaged = old.slice();
		damaged[30] = (damaged[30] as number) ^ 1;
		expect(readRecord(damaged)).toBeUndefined();
		// An upgrade finds the old format's records after the last checkpoint.
		const replay = replayLog(fileWith([sha256Record(5, group(5)), sha256Record(6, group(6))]), 4);
		expect(keysOf(replay.groups)).toEqual(["k5", "k6"]);
		expect(replay.lastSeq).toBe(6);
	});

	it("encodes into a reused scratch buffer exactly what it encodes into a new one", () => {
		const scratch = new Uint8Array(4 * LOG_BLOCK).fill(0xee);
		const large = [put("actor-a", "k", "x".repeat(2 * LOG_BLOCK))];
		expect(encodeRecord(3, large, scratch)).toEqual(encodeRecord(3, large));
		// A smaller record after it: the larger one's bytes must not show through its padding.
		expect(encodeRecord(4, group(4), scratch)).toEqual(encodeRecord(4, group(4)));
		// Too large for the scratch: a buffer of its own, the scratch untouched.
		const before = scratch.slice();
		const huge = [put("actor-a", "k", "y".repeat(5 * LOG_BLOCK))];
		expect(encodeRecord(5, huge, scratch)).toEqual(encodeRecord(5, huge));
		expect(scratch).toEqual(before);
	});

	it("rejects a record with any byte changed", () => {
		const record = encodeRecord(1, group(1));
		for (const at of [0, 5, 9, 17, 21, 30]) {
			const damaged = record.slice();
			damaged[at] = (damaged[at] as number) ^ 1;
			expect(readRecord(damaged), `byte ${at}`).toBeUndefined();
		}
	});
});

describe("commit log replay", () => {
	it("replays every record after the applied one, in order", () => {
		const file = fileWith([1, 2, 3, 4].map((n) => encodeRecord(n, group(n))));
		expect(keysOf(replayLog(file, 0).groups)).toEqual(["k1", "k2", "k3", "k4"]);
		const replay = replayLog(file, 2);
		expect(keysOf(replay.groups)).toEqual(["k3", "k4"]);
		expect(replay.lastSeq).toBe(4);
	});

	it("stops at a torn tail", () => {
		const records = [1, 2, 3].map((n) => encodeRecord(n, [put("a", `k${n}`, "v".repeat(3000))]));
		const torn = (records[2] as Uint8Array).slice();
		torn.fill(0, 1024); // only the first sectors of the last record reached the disk
		const replay = replayLog(fileWith([records[0], records[1], torn] as Uint8Array[]), 0);
		expect(replay.groups).toHaveLength(2);
		expect(replay.lastSeq).toBe(2);
	});

	it("stops at a checksum mismatch, even when valid records follow", () => {
		const records = [1, 2, 3].map((n) => encodeRecord(n, group(n)));
		const damaged = (records[1] as Uint8Array).slice();
		damaged[30] = (damaged[30] as number) ^ 0xff;
		const replay = replayLog(fileWith([records[0], damaged, records[2]] as Uint8Array[]), 0);
		expect(keysOf(replay.groups)).toEqual(["k1"]);
	});

	it("stops at a gap in the sequence numbers", () => {
		const file = fileWith([1, 2, 4, 5].map((n) => encodeRecord(n, group(n))));
		expect(keysOf(replayLog(file, 0).groups)).toEqual(["k1", "k2"]);
		// A first record that does not follow the applied one is no successor either.
		expect(replayLog(fileWith([encodeRecord(9, group(9))]), 7).groups).toEqual([]);
	});

	it("ignores stale records of an earlier pass after the log was rewound", () => {
		// Pass one wrote 1..4; a checkpoint applied them and the log started
		// over with 5 (which takes two blocks, over the old 1 and 2).
		const old = [1, 2, 3, 4].map((n) => encodeRecord(n, group(n)));
		const image = fileWith(old);
		const fresh = encodeRecord(5, [put("a", "k5", "v".repeat(5000))]);
		image.writeSync(fresh, 0);
		const replay = replayLog(image, 4);
		expect(replay.groups).toHaveLength(1);
		expect(replay.lastSeq).toBe(5);
		// New records continue above every stale one found in the file.
		expect(replay.highestSeq).toBe(5);
		expect(replayLog(fileWith(old), 0).highestSeq).toBe(4);
	});

	it("reads a record that ends exactly at the end of the file", () => {
		const records = [1, 2, 3, 4].map((n) => encodeRecord(n, group(n)));
		const file = fileWith(records, 4 * LOG_BLOCK);
		expect(replayLog(file, 0).groups).toHaveLength(4);
	});

	it("is idempotent: replaying again after applying gives the same groups", () => {
		const file = fileWith([1, 2, 3].map((n) => encodeRecord(n, group(n))));
		const first = replayLog(file, 0);
		const second = replayLog(file, 0);
		expect(second).toEqual(first);
		expect(replayLog(file, first.lastSeq).groups).toEqual([]);
	});
});

describe("commit log appends", () => {
	it("writes records back to back, makes room when full, and refuses after a failed sync", () => {
		const file = new PowerLossLogFile(new Uint8Array(2 * LOG_BLOCK));
		const log = new CommitLog(file, 1);
		let rooms = 0;
		const makeRoom = () => {
			rooms++;
			log.rewind();
		};
		for (let n = 1; n <= 3; n++) log.writeSync(log.reserve(group(n), makeRoom));
		expect(rooms).toBe(1);
		expect(log.lastSeq).toBe(3);
		// After the rewind, record 3 sits at the start and record 2 is stale behind it.
		expect(keysOf(replayLog(file, 2).groups)).toEqual(["k3"]);
		file.cutAtSync(1);
		expect(() => log.writeSync(log.reserve(group(4), makeRoom))).toThrow("power cut");
		expect(() => log.reserve(group(5), makeRoom)).toThrow(/failed to write earlier/);
	});
});
