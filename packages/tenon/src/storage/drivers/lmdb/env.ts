import {
	chmodSync,
	closeSync,
	ftruncateSync,
	mkdirSync,
	openSync,
	readFileSync,
	writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Database, RootDatabase } from "lmdb";

/** The LMDB environment and its named databases. */
export interface LmdbEnv {
	root: RootDatabase;
	/** actorId -> CBOR actor record. */
	actors: Database<Uint8Array, string>;
	/** encoded (namespace, name, key) -> actorId, live actors only. */
	keys: Database<string, Uint8Array>;
	/** [namespace, name, actorId] -> "" for listing live actors by name. */
	names: Database<string, (string | number)[]>;
	/** actorId -> creation input bytes. */
	inputs: Database<Uint8Array, string>;
	/** actorId bytes + user key -> value. */
	data: Database<Uint8Array, Uint8Array>;
	/** Keys too long for LMDB: spill key -> CBOR [full key, value] (see store.ts). */
	dataLong: Database<Uint8Array, Uint8Array>;
	/**
	 * False while `dataLong` is certainly empty (none at open, none put since):
	 * listings then skip its range scan. Few applications ever store a key
	 * that long, and each lmdb-js range scan allocates objects (an iterable,
	 * a TextDecoder, closures) that outlive a scavenge, so a wake-up's reads
	 * (state, queue, timers, connections) left twice the garbage in the old space.
	 */
	mayHoldLongKeys: boolean;
	/** actorId -> highest accepted fence. */
	fences: Database<number, string>;
	/** actorId -> alarm time. */
	alarmsByActor: Database<number, string>;
	/** [at, actorId] -> "" ordered by time. */
	alarmsByTime: Database<string, (string | number)[]>;
	/** Driver metadata: the boot counter, the commit log's last checkpointed sequence number. */
	meta: Database<number, string>;
}

/**
 * The address space mapped for the data file up front, where mapping past
 * the file's end costs no memory and no disk (64-bit, not Windows).
 *
 * lmdb-js otherwise starts with a 128 KiB map and doubles it as the file
 * grows, and on purpose never unmaps the old maps (readers on other threads
 * may still use them): every page read through an old map stays resident,
 * so the process held the data file up to 2.4x over (RSS at 100,000 idle
 * actors: 141 MiB of file pages for a 57 MiB file, 1.46 KiB per actor). One
 * map from the start is never outgrown below this size, and the file itself
 * still grows only as pages are written. Windows sizes the file to the map,
 * so there lmdb-js's growth stays.
 */
const INITIAL_MAP_SIZE =
	process.platform === "win32" || !process.arch.includes("64") ? undefined : 64 * 2 ** 30;

// The data directory holds every actor's state and the connection params
// stored with it (bearer tokens among them): its files are the owner's alone.
// LMDB creates its files 0644 and offers no mode, so they are changed once
// open; a directory Tenon creates is 0700 (an attacker probe, 2026-11-28).
// An existing directory keeps its mode: an operator may share it on purpose.
const OWNER_ONLY_DIR = 0o700;

function ownerOnly(...files: string[]): void {
	for (const file of files) {
		try {
			chmodSync(file, 0o600);
		} catch {
			// A file system without modes (or another owner's file): nothing to narrow.
		}
	}
}

/** Opens (creating if needed) the environment at `path`. */
export async function openLmdbEnv(path: string): Promise<LmdbEnv> {
	// Imported lazily so users of the memory driver never load the native module.
	const { open } = await import("lmdb");
	mkdirSync(path, { recursive: true, mode: OWNER_ONLY_DIR });
	const root = open({
		path: join(path, "data.mdb"),
		noSubdir: true,
		maxDbs: 16,
		// A write transaction's promise resolves once it is committed and
		// synced to disk (one sync per transaction, and lmdb batches the writes
		// queued meanwhile into it). Measured on this project's machines, this
		// is ~30% faster per commit than overlappingSync (commit, then a
		// separate sync tracked by `flushed`).
		overlappingSync: false,
		noMemInit: true,
		...(INITIAL_MAP_SIZE === undefined ? {} : { mapSize: INITIAL_MAP_SIZE }),
	});
	ownerOnly(join(path, "data.mdb"), join(path, "data.mdb-lock"));
	const binary = { encoding: "binary", keyEncoding: "binary" } as const;
	const dataLong = root.openDB({ name: "data-long", ...binary });
	let mayHoldLongKeys = false;
	for (const _ of dataLong.getKeys({ limit: 1 })) mayHoldLongKeys = true;
	return {
		root,
		actors: root.openDB({ name: "actors", encoding: "binary" }),
		keys: root.openDB({ name: "keys", keyEncoding: "binary", encoding: "string" }),
		names: root.openDB({ name: "names", keyEncoding: "ordered-binary", encoding: "string" }),
		inputs: root.openDB({ name: "inputs", encoding: "binary" }),
		data: root.openDB({ name: "data", ...binary }),
		dataLong,
		mayHoldLongKeys,
		fences: root.openDB({ name: "fences", encoding: "msgpack" }),
		alarmsByActor: root.openDB({ name: "alarms-by-actor", encoding: "msgpack" }),
		alarmsByTime: root.openDB({
			name: "alarms-by-time",
			keyEncoding: "ordered-binary",
			encoding: "string",
		}),
		meta: root.openDB({ name: "meta", encoding: "msgpack" }),
	} as LmdbEnv;
}

/** Directories this process holds, so one process cannot open a directory twice either. */
const heldByThisProcess = new Set<string>();

/** A plain `Uint8Array` view of bytes lmdb-js returns as a Node `Buffer` (no copy). */
export function asPlainBytes(value: Uint8Array): Uint8Array;
export function asPlainBytes(value: Uint8Array | undefined): Uint8Array | undefined;
export function asPlainBytes(value: Uint8Array | undefined): Uint8Array | undefined {
	if (value === undefined || value.constructor === Uint8Array) return value;
	return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Where a data directory's lock lives. */
export function lockFilePath(path: string): string {
	return join(path, "tenon.lock");
}

function holderOf(lockPath: string): string {
	try {
		const pid = readFileSync(lockPath, "utf8").trim();
		return /^\d+$/.test(pid) ? `process ${pid}` : "another process";
	} catch {
		return "another process";
	}
}

/**
 * Takes the data directory's lock, so two servers never write the same
 * directory (LMDB itself would allow it, and actors would then have two
 * owners). The lock is an OFD record lock (`fcntl(F_OFD_SETLK)`) on
 * `tenon.lock`: the kernel releases it the moment the holder's file is closed,
 * which includes any death (SIGKILL, OOM), so a restart never finds a stale
 * lock, and no unrelated process that happens to reuse a PID can block it.
 * A holder that is still exiting is waited for up to `waitMs`.
 * Returns the release function.
 */
export async function lockDataDir(path: string, waitMs = 5_000): Promise<() => void> {
	mkdirSync(path, { recursive: true, mode: OWNER_ONLY_DIR });
	const lockPath = lockFilePath(path);
	if (heldByThisProcess.has(lockPath)) {
		throw new Error(`Tenon data directory ${path} is already open in this process.`);
	}
	// fs-native-extensions ships prebuilt binaries for Linux, macOS and Windows
	// in the npm package itself (nothing to build or download at install time);
	// Node has no file-lock API of its own.
	const { tryLock, unlock } = await import("fs-native-extensions");
	const fd = openSync(lockPath, "a+", 0o600);
	const deadline = Date.now() + waitMs;
	try {
		while (!tryLock(fd)) {
			if (Date.now() >= deadline) {
				throw new Error(
					`Tenon data directory ${path} is in use by ${holderOf(lockPath)}. ` +
						"Stop that server or choose another directory (storage path / TENON_DATA_DIR).",
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	} catch (error) {
		closeSync(fd);
		throw error;
	}
	// The PID is for people reading the directory; the lock is what counts.
	ftruncateSync(fd, 0);
	writeSync(fd, String(process.pid), 0);
	heldByThisProcess.add(lockPath);
	return () => {
		heldByThisProcess.delete(lockPath);
		try {
			unlock(fd);
		} finally {
			closeSync(fd);
		}
	};
}
