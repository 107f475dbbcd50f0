// Recovery of the LMDB commit log. Values chosen by a client end up inside commit log records, and a large
// one spans blocks that later passes through the file do not overwrite. Such
// bytes can look like a record header, or be a whole record with a valid
// checksum: recovery must never read them as records. (Found in review on
// 2026-11-24: a header inside a value, with a sequence number near 2^64, made
// the next start continue above it; sequence numbers then stopped growing
// and every commit after the next checkpoint was skipped on replay.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLmdbEnv } from "../../src/storage/drivers/lmdb/env.js";
import { LOG_BLOCK } from "../../src/storage/drivers/lmdb/log-file.js";
import { encodeRecord, HEADER_BYTES } from "../../src/storage/drivers/lmdb/log-record.js";
import { DEFAULT_COMMIT_LOG_LIMITS, LogWriter } from "../../src/storage/drivers/lmdb/log-writer.js";
import type { CommitItem } from "../../src/storage/interfaces.js";
import { PowerLossLogFile } from "../helpers/power-loss-log-file.js";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ACTOR = "aaaaaaaaaaaaaaaa";
const VICTIM = "vvvvvvvvvvvvvvvv";
const bytes = (text: string) => new TextEncoder().encode(text);
// No timed checkpoints: the test decides when one runs.
const LIMITS = { ...DEFAULT_COMMIT_LOG_LIMITS, checkpointIntervalMs: 1_000_000_000 };

const put = (actorId: string, key: string, value: Uint8Array): CommitItem => ({
	actorId,
	fence: 1,
	puts: [[bytes(key), value]],
	deletes: [],
});

/**
 * A value that, committed as the first record of a pass (at the file's
 * start, its actor's fence already stored), puts `forged` at the file's
 * second block.
 */
function valueWithBlockAt(forged: Uint8Array, key: string): Uint8Array {
	// The value starts after the header, the op's kind and id, and the key with both lengths.
	const valueStart = HEADER_BYTES + 2 + ACTOR.length + 4 + key.length + 4;
	const value = new Uint8Array(3 * LOG_BLOCK).fill(0x61);
	value.set(forged, LOG_BLOCK - valueStart);
	return value;
}

async function fresh(limits = LIMITS) {
	const dir = mkdtempSync(join(tmpdir(), "tenon-log-hostile-"));
	dirs.push(dir);
	const env = await openLmdbEnv(dir);
	const file = new PowerLossLogFile(new Uint8Array(64 * LOG_BLOCK));
	// A start: recovery, then commits. Nothing is closed: every start after the first is after a crash.
	const start = () => new LogWriter(env, file, limits, undefined);
	/**
	 * LMDB write transactions fail from the `succeeding + 1`th on, until the
	 * returned function restores them; it returns how many were attempted.
	 */
	const failTransactionsAfter = (succeeding: number, error: string) => {
		const transactionSync = env.root.transactionSync.bind(env.root);
		let attempts = 0;
		env.root.transactionSync = ((callback: () => unknown) => {
			if (++attempts > succeeding) throw new Error(error);
			return transactionSync(callback);
		}) as typeof env.root.transactionSync;
		return () => {
			env.root.transactionSync = transactionSync;
			return attempts;
		};
	};
	return { start, failTransactionsAfter, env };
}

describe("commit log recovery and client bytes shaped like records", () => {
	it("a value holding a record header with a huge sequence number loses no acknowledged commit", async () => {
		const { start } = await fresh();
		const header = new Uint8Array(HEADER_BYTES);
		const view = new DataView(header.buffer);
		view.setUint32(0, 0x544e4c32); // "TNL2"
		view.setUint32(4, 8);
		view.setUint32(8, 0xffffffff);
		view.setUint32(12, 0xffffffff);
		const first = start();
		// The actor's fence first, so the next record holds the value's put alone.
		first.commitSync([put(ACTOR, "fence", bytes("1"))]);
		first.checkpoint();
		first.commitSync([put(ACTOR, "big", valueWithBlockAt(header, "big"))]);
		first.checkpoint();
		// Crash, start again, commit (acknowledged), crash again.
		const second = start();
		second.commitSync([put(ACTOR, "after", bytes("acknowledged"))]);
		second.commitSync([put(ACTOR, "after-2", bytes("acknowledged too"))]);
		second.checkpoint();
		second.commitSync([put(ACTOR, "after-3", bytes("and this one"))]);
		const third = start();
		expect(third.view.get(ACTOR, bytes("after"))).toEqual(bytes("acknowledged"));
		expect(third.view.get(ACTOR, bytes("after-2"))).toEqual(bytes("acknowledged too"));
		expect(third.view.get(ACTOR, bytes("after-3"))).toEqual(bytes("and this one"));
		// And the log goes on: one more crash, one more commit, still there.
		third.commitSync([put(ACTOR, "after-4", bytes("four"))]);
		const fourth = start();
		expect(fourth.view.get(ACTOR, bytes("after-4"))).toEqual(bytes("four"));
	});

	it("a value holding a whole record, with a valid checksum and the next sequence number, is never replayed", async () => {
		// Records 1 (the fence), 2 (the big value) and 3 (after a checkpoint, over the
		// big value's first block): the forged one claims to be record 4, right after 3. Whatever tag a record
		// carries besides, a client cannot know this run's: it forges with its best guesses.
		for (const guess of [0, 1, 0xffffffff]) {
			const forged = encodeRecord(
				4,
				[{ kind: "put", actorId: VICTIM, key: bytes("owned"), value: bytes(`forged ${guess}`) }],
				guess,
			);
			const key = `big-${guess}`;
			const { start } = await fresh();
			const first = start();
			first.commitSync([put(ACTOR, "fence", bytes("1"))]);
			first.checkpoint();
			first.commitSync([put(ACTOR, key, valueWithBlockAt(forged, key))]);
			first.checkpoint();
			first.commitSync([put(ACTOR, "small", bytes("s"))]);
			const recovered = start();
			expect(recovered.view.get(ACTOR, bytes("small"))).toEqual(bytes("s"));
			expect(recovered.view.get(VICTIM, bytes("owned"))).toBeUndefined();
		}
	});
});

describe("commit log recovery after an upgrade", () => {
	it("replays a log written before passes (TNL1), then goes on in the new format", async () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-log-upgrade-"));
		dirs.push(dir);
		const env = await openLmdbEnv(dir);
		// What 486972c left after a crash: records 5 to 7 after a checkpoint at 4.
		await env.root.transaction(() => {
			env.meta.putSync("commitLogAppliedSeq", 4);
		});
		const file = new PowerLossLogFile(new Uint8Array(16 * LOG_BLOCK));
		const TNL1 = [
			"544e4c310000001500000000000000058a8476198e3cb98e01076163746f722d61000000026b35000000027635",
			"544e4c310000001500000000000000067936bbb5025c43fe01076163746f722d61000000026b36000000027636",
			"544e4c31000000150000000000000007980782896f027ae301076163746f722d61000000026b37000000027637",
		];
		for (const [i, hex] of TNL1.entries()) file.writeSync(Buffer.from(hex, "hex"), i * LOG_BLOCK);
		const upgraded = new LogWriter(env, file, LIMITS, undefined);
		for (const n of [5, 6, 7])
			expect(upgraded.view.get("actor-a", bytes(`k${n}`))).toEqual(bytes(`v${n}`));
		upgraded.commitSync([put("actor-a", "k8", bytes("v8"))]);
		// A crash: the new format's record replays, the old records are not read again.
		const again = new LogWriter(env, file, LIMITS, undefined);
		for (const n of [5, 6, 7, 8])
			expect(again.view.get("actor-a", bytes(`k${n}`))).toEqual(bytes(`v${n}`));
	});
});

describe("a checkpoint cut short between its transactions", () => {
	it("recovers the same state: the log is replayed over the part already applied", async () => {
		const { start, failTransactionsAfter } = await fresh({ ...LIMITS, checkpointChunkOps: 2 });
		const first = start();
		const actors = ["a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2", "c3c3c3c3c3c3c3c3"];
		for (const actor of actors) first.commitSync([put(actor, "k", bytes(`${actor}-1`))]);
		first.checkpoint();
		// After the last checkpoint: new values, a new key, and a delete.
		for (const actor of actors) first.commitSync([put(actor, "k", bytes(`${actor}-2`))]);
		first.commitSync([put(actors[0] as string, "extra", bytes("added"))]);
		first.commitSync([{ actorId: actors[1] as string, fence: 1, puts: [], deletes: [bytes("k")] }]);
		// The power goes after the checkpoint's first transaction of two writes.
		const restore = failTransactionsAfter(1, "power cut");
		expect(() => first.checkpoint()).toThrow("power cut");
		expect(restore()).toBe(2);

		const second = start();
		const read = (actor: string, key: string) => {
			const value = second.view.get(actor, bytes(key));
			return value === undefined ? undefined : new TextDecoder().decode(value);
		};
		expect(actors.map((actor) => read(actor, "k"))).toEqual([
			`${actors[0]}-2`,
			undefined,
			`${actors[2]}-2`,
		]);
		expect(read(actors[0] as string, "extra")).toBe("added");
		// Recovery checkpointed: the same state is in LMDB itself after the next start.
		const third = start();
		expect(new TextDecoder().decode(third.view.get(actors[2] as string, bytes("k")))).toBe(
			`${actors[2]}-2`,
		);
	});
});

describe("a checkpoint that fails", () => {
	it("is not retried by every commit: only the timer (or a full log) tries again", async () => {
		// Every commit is over the overlay's bound, so each would start a checkpoint.
		const { start, failTransactionsAfter } = await fresh({ ...LIMITS, maxOverlayBytes: 0 });
		const writer = start();
		const restore = failTransactionsAfter(0, "disk full");
		for (let i = 0; i < 5; i++) writer.commitSync([put(ACTOR, `k${i}`, bytes(String(i)))]);
		expect(restore()).toBe(1);
		// The writes are durable all along, and the next checkpoint applies all of them.
		writer.checkpoint();
		expect(new TextDecoder().decode(writer.view.get(ACTOR, bytes("k4")))).toBe("4");
	});
});

describe("a checkpoint whose last transaction reports an error after it committed", () => {
	// LMDB can report an error once the checkpoint's last transaction (the one
	// storing the applied sequence number and the next pass) reached the disk,
	// say a failed sync of its meta page. The writer must not go on writing
	// records of the old pass: the next start would take the stored new pass
	// and skip them, losing acknowledged commits. (Found in review on 2026-11-24.)
	it("refuses later commits until a restart, and the restart loses no acknowledged commit", async () => {
		const { start, env } = await fresh();
		const first = start();
		first.commitSync([put(ACTOR, "before", bytes("1"))]);
		const transactionSync = env.root.transactionSync.bind(env.root);
		env.root.transactionSync = ((callback: () => unknown) => {
			transactionSync(callback);
			throw new Error("meta page sync failed");
		}) as typeof env.root.transactionSync;
		expect(() => first.checkpoint()).toThrow("meta page sync failed");
		env.root.transactionSync = transactionSync;
		// Acknowledging this one would lose it at the next start.
		expect(() => first.commitSync([put(ACTOR, "after", bytes("2"))])).toThrow("restart the server");
		await expect(first.commit([put(ACTOR, "after", bytes("2"))])).rejects.toThrow(
			"restart the server",
		);

		const second = start();
		expect(new TextDecoder().decode(second.view.get(ACTOR, bytes("before")))).toBe("1");
		second.commitSync([put(ACTOR, "after", bytes("3"))]);
		const third = start();
		expect(new TextDecoder().decode(third.view.get(ACTOR, bytes("after")))).toBe("3");
	});

	it("a transaction that failed without committing (a full map) is retried as before", async () => {
		const { start, failTransactionsAfter } = await fresh();
		const writer = start();
		writer.commitSync([put(ACTOR, "k", bytes("1"))]);
		const restore = failTransactionsAfter(0, "MDB_MAP_FULL");
		expect(() => writer.checkpoint()).toThrow("MDB_MAP_FULL");
		restore();
		writer.commitSync([put(ACTOR, "k", bytes("2"))]);
		writer.checkpoint();
		const again = start();
		expect(new TextDecoder().decode(again.view.get(ACTOR, bytes("k")))).toBe("2");
	});
});

describe("a checkpoint that fails at close", () => {
	// An SRE walkthrough (2026-11-29): on a full disk the close's checkpoint threw, close()
	// rejected, and `server.close().then(...)` ended the process on an unhandled rejection.
	it("is logged, the close completes, and the next start replays the log", async () => {
		const { start, failTransactionsAfter } = await fresh();
		const writer = start();
		writer.commitSync([put(ACTOR, "kept", bytes("in the log"))]);
		const restore = failTransactionsAfter(0, "MDB_MAP_FULL: the disk is full");
		await expect(writer.close()).resolves.toBeUndefined();
		restore();
		expect(start().view.get(ACTOR, bytes("kept"))).toEqual(bytes("in the log"));
	});
});
