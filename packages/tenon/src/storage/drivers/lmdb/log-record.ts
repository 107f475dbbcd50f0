// The commit log's record format. A record is one commit group:
//
//   magic "TNL2" (4) | payload length u32 (4) | seq u64 (8) | pass u32 (4) | CRC-32 (4) | payload
//
// padded with zeros to the next LOG_BLOCK boundary, so a group never
// rewrites a block that holds an earlier, acknowledged group (a write torn
// by power loss can only damage the group being written).
//
// The CRC-32 (zlib's) covers the first 20 header bytes and the payload: what
// write-ahead logs use to find torn and never-written records (PostgreSQL,
// RocksDB, LevelDB use CRC-32C); a random record passes it with a chance of
// 1 in 2^32. `pass` is a random number drawn at every checkpoint (and every
// start) and stored in LMDB with the checkpoint: recovery reads only records
// of the current pass. Records of earlier passes stay in the file behind the
// current ones, and a client's value can hold bytes shaped like a record,
// even a whole one with a valid CRC at a block boundary of a large record;
// neither carries the current pass, which is never sent anywhere.
//
// Records of format "TNL1" (until 2026-11-24: the first 8 bytes of SHA-256
// instead of pass and CRC, and no pass) are read once, by the first start of
// a data directory written before then. The payload is the group's blind writes, one after the other:
//
//   put    1 | actor id length u8 | actor id | key length u32 | key | value length u32 | value
//   delete 2 | actor id length u8 | actor id | key length u32 | key
//   fence  3 | actor id length u8 | actor id | fence f64
//   alarm  4 | actor id length u8 | actor id | 0 (cleared) or 1 and time f64
//
// Keys are relative to the actor (without its id prefix).
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { LOG_BLOCK } from "./log-file.js";

/** One blind write of a commit group. */
export type LogOp =
	| { kind: "put"; actorId: string; key: Uint8Array; value: Uint8Array }
	| { kind: "delete"; actorId: string; key: Uint8Array }
	| { kind: "fence"; actorId: string; fence: number }
	| { kind: "alarm"; actorId: string; at: number | null };

/** "TNL2": records checked with CRC-32 (written). */
const MAGIC = 0x544e4c32;
/** "TNL1": records checked with SHA-256 (only read). */
const MAGIC_SHA256 = 0x544e4c31;
/** Bytes before the payload. */
export const HEADER_BYTES = 24;

/** A record read from the log. */
export interface LogRecord {
	seq: number;
	/** The record's pass; `undefined` for a "TNL1" record (which has none). */
	pass: number | undefined;
	payload: Uint8Array;
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The CRC-32 of a "TNL2" record: its first 20 header bytes, then its payload. */
function checksum(header: Uint8Array, payload: Uint8Array): number {
	return crc32(payload, crc32(header.subarray(0, 20)));
}

/** The checksum field of a "TNL1" record. */
function sha256Checksum(header: Uint8Array, payload: Uint8Array): Uint8Array {
	const hash = createHash("sha256").update(header.subarray(0, 16)).update(payload).digest();
	return new Uint8Array(hash.buffer, hash.byteOffset, 8);
}

/** Bytes `length` takes in the log once padded to whole blocks. */
export function paddedLength(length: number): number {
	return Math.ceil(length / LOG_BLOCK) * LOG_BLOCK;
}

/** Op codes of the payload. */
const OP_CODES = { put: 1, delete: 2, fence: 3, alarm: 4 } as const;

/**
 * An actor id's length in UTF-8, at most 255. Written straight into the
 * record (see {@link writeActorId}): encoding each id to bytes of its own,
 * or caching them, made garbage on every commit of an actor not seen lately,
 * a wake-up burst's every commit.
 */
function actorIdLength(actorId: string): number {
	const length = Buffer.byteLength(actorId, "utf8");
	if (length > 255) throw new Error(`actor id too long for the commit log: ${actorId}`);
	return length;
}

/** Writes an actor id of UTF-8 length `length` at `at` of `out`. */
function writeActorId(out: Uint8Array, at: number, actorId: string, length: number): void {
	// Same length as the string: ASCII, as the ids Tenon makes are.
	if (length === actorId.length)
		for (let i = 0; i < length; i++) out[at + i] = actorId.charCodeAt(i);
	else if (encoder.encodeInto(actorId, out.subarray(at, at + length)).written !== length)
		throw new Error(
			`commit log: actor id ${JSON.stringify(actorId)} did not encode to ${length} bytes`,
		);
}

/**
 * Encodes a commit group as one padded record. With `scratch` large enough,
 * the record is written into it (its padding zeroed) and a view of it is
 * returned, valid until the scratch is used again: most groups fit in a few
 * blocks, and a fresh zeroed buffer per commit was most of its encoding cost.
 */
export function encodeRecord(
	seq: number,
	ops: readonly LogOp[],
	pass: number,
	scratch?: Uint8Array,
): Uint8Array {
	let length = 0;
	for (const op of ops) {
		length += 2 + actorIdLength(op.actorId);
		switch (op.kind) {
			case "put":
				length += 8 + op.key.length + op.value.length;
				break;
			case "delete":
				length += 4 + op.key.length;
				break;
			case "fence":
				length += 8;
				break;
			case "alarm":
				length += op.at === null ? 1 : 9;
				break;
		}
	}
	const padded = paddedLength(HEADER_BYTES + length);
	let out: Uint8Array;
	if (scratch !== undefined && scratch.length >= padded) {
		out = scratch.subarray(0, padded);
		out.fill(0, HEADER_BYTES + length);
	} else out = new Uint8Array(padded);
	const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
	let at = HEADER_BYTES;
	for (let i = 0; i < ops.length; i++) {
		const op = ops[i] as LogOp;
		const idLength = actorIdLength(op.actorId);
		out[at++] = OP_CODES[op.kind];
		out[at++] = idLength;
		writeActorId(out, at, op.actorId, idLength);
		at += idLength;
		switch (op.kind) {
			case "put":
				view.setUint32(at, op.key.length);
				out.set(op.key, at + 4);
				at += 4 + op.key.length;
				view.setUint32(at, op.value.length);
				out.set(op.value, at + 4);
				at += 4 + op.value.length;
				break;
			case "delete":
				view.setUint32(at, op.key.length);
				out.set(op.key, at + 4);
				at += 4 + op.key.length;
				break;
			case "fence":
				view.setFloat64(at, op.fence);
				at += 8;
				break;
			case "alarm":
				if (op.at === null) out[at++] = 0;
				else {
					out[at++] = 1;
					view.setFloat64(at, op.at);
					at += 8;
				}
				break;
		}
	}
	view.setUint32(0, MAGIC);
	view.setUint32(4, length);
	view.setUint32(8, Math.floor(seq / 2 ** 32));
	view.setUint32(12, seq >>> 0);
	view.setUint32(16, pass);
	view.setUint32(20, checksum(out, out.subarray(HEADER_BYTES, HEADER_BYTES + length)));
	return out;
}

/**
 * The record at the start of `bytes` if it is whole and its checksum
 * matches, else `undefined` (a torn or never-written record, or no record).
 */
export function readRecord(bytes: Uint8Array): LogRecord | undefined {
	if (bytes.length < HEADER_BYTES) return undefined;
	const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
	const magic = view.getUint32(0);
	if (magic !== MAGIC && magic !== MAGIC_SHA256) return undefined;
	const length = view.getUint32(4);
	if (HEADER_BYTES + length > bytes.length) return undefined;
	const seq = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
	const payload = bytes.subarray(HEADER_BYTES, HEADER_BYTES + length);
	if (magic === MAGIC) {
		if (view.getUint32(20) !== checksum(bytes, payload)) return undefined;
		return { seq, pass: view.getUint32(16), payload };
	}
	const expected = sha256Checksum(bytes, payload);
	for (let i = 0; i < 8; i++) if (bytes[16 + i] !== expected[i]) return undefined;
	return { seq, pass: undefined, payload };
}

/** The blind writes of a record's payload. Throws on a malformed payload. */
export function decodeOps(payload: Uint8Array): LogOp[] {
	const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
	const ops: LogOp[] = [];
	let at = 0;
	const take = (length: number) => {
		if (at + length > payload.length) throw new Error("malformed commit log record");
		const out = payload.slice(at, at + length);
		at += length;
		return out;
	};
	while (at < payload.length) {
		const kind = payload[at++];
		const actorId = decoder.decode(take(payload[at++] ?? 0));
		switch (kind) {
			case 1: {
				const key = take(readLength());
				const value = take(readLength());
				ops.push({ kind: "put", actorId, key, value });
				break;
			}
			case 2:
				ops.push({ kind: "delete", actorId, key: take(readLength()) });
				break;
			case 3:
				ops.push({ kind: "fence", actorId, fence: readFloat() });
				break;
			case 4:
				ops.push({ kind: "alarm", actorId, at: payload[at++] === 0 ? null : readFloat() });
				break;
			default:
				throw new Error(`malformed commit log record (op ${kind})`);
		}
	}
	return ops;

	function readLength(): number {
		if (at + 4 > payload.length) throw new Error("malformed commit log record");
		const length = view.getUint32(at);
		at += 4;
		return length;
	}
	function readFloat(): number {
		if (at + 8 > payload.length) throw new Error("malformed commit log record");
		const value = view.getFloat64(at);
		at += 8;
		return value;
	}
}
