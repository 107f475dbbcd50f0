import { FacadeVFS } from "@journeyapps/wa-sqlite/src/FacadeVFS.js";
import { PageFile } from "./page-file.js";
import { pragmaRefusal } from "./pragma-guard.js";
import type { SqliteModule } from "./sqlite.js";

// Result and flag values from sqlite3.h.
const OK = 0;
const IOERR_SHORT_READ = 522;
const CANTOPEN = 14;
const NOTFOUND = 12;
const OPEN_MAIN_DB = 0x100;
const OPEN_DELETEONCLOSE = 0x08;
const IOCAP_SAFE_APPEND = 0x200;
const IOCAP_POWERSAFE_OVERWRITE = 0x1000;
const IOCAP_SEQUENTIAL = 0x400;
const NOMEM = 7;
const FULL = 13;
/** SQLITE_FCNTL_PRAGMA: a PRAGMA on the file, before SQLite handles it. */
const FCNTL_PRAGMA = 14;
const ERROR = 1;

/** The name the VFS is registered under. */
export const VFS_NAME = "tenon";

/** The VFS as the database module uses it. */
export interface TenonVfs {
	/**
	 * Makes `file` the main database file opened as `name`, of at most `maxPages` pages; the
	 * scratch files its connection opens (temporary tables, sort spills) hold at most
	 * `maxScratchBytes` together (see {@link asOwner}).
	 */
	attach(name: string, file: PageFile, maxPages?: number, maxScratchBytes?: number): void;
	detach(name: string): void;
	/**
	 * Runs `run` as main file `name`'s connection: the scratch files opened meanwhile are its
	 * own, counted against its `maxScratchBytes`. Statements run synchronously, so the files a
	 * statement opens are the connection's that runs it.
	 */
	asOwner<T>(name: string, run: () => T): T;
}

interface OpenFile {
	name: string;
	file: PageFile;
	deleteOnClose: boolean;
	main: boolean;
	/** A main file's size limit, in pages (pragma-guard.ts). */
	maxPages: number;
	/** A scratch file's owner: the main file whose connection opened it (see TenonVfs.asOwner). */
	owner: string | undefined;
}

/**
 * A VFS whose main database files are {@link PageFile}s owned by actors
 * (persisted through their commits), and whose other files (temporary
 * tables, sort spills) live in memory only. Locks are no-ops: each actor
 * has one connection to its file.
 */
class ActorFileVfs extends FacadeVFS implements TenonVfs {
	readonly #mains = new Map<
		string,
		{ file: PageFile; maxPages: number; maxScratchBytes: number }
	>();
	/**
	 * Main files open now: each is its actor's, opened once, by its own
	 * connection. Every awake actor's file is here under a name one can guess,
	 * and `ATTACH` (or `VACUUM INTO`) with another actor's name opened its live
	 * database to read and write (a review, 2026-11-26).
	 */
	readonly #mainsOpen = new Set<string>();
	readonly #open = new Map<number, OpenFile>();
	readonly #scratch = new Map<string, { file: PageFile; owner: string | undefined }>();
	/** The scratch files of each main file's connection (deleted ones go once closed). */
	readonly #ownerFiles = new Map<string, Set<PageFile>>();
	/** The main file whose connection runs a statement now (see asOwner). */
	#owner: string | undefined;
	readonly #module: SqliteModule;
	/** Most bytes all scratch files together may hold (past it a write is `SQLITE_FULL`). */
	readonly #maxScratchBytes: number;

	constructor(name: string, module: SqliteModule, maxScratchBytes: number) {
		super(name, module);
		this.#module = module;
		this.#maxScratchBytes = maxScratchBytes;
	}

	attach(
		name: string,
		file: PageFile,
		maxPages = Number.POSITIVE_INFINITY,
		maxScratchBytes = Number.POSITIVE_INFINITY,
	): void {
		this.#mains.set(name, { file, maxPages, maxScratchBytes });
	}

	asOwner<T>(name: string, run: () => T): T {
		const outer = this.#owner;
		this.#owner = name;
		try {
			return run();
		} finally {
			this.#owner = outer;
		}
	}

	detach(name: string): void {
		this.#mains.delete(name);
		this.#ownerFiles.delete(name);
	}

	jOpen(filename: string | null, fileId: number, flags: number, outFlags: DataView): number {
		const name = filename ?? `scratch-${fileId}`;
		let file: PageFile | undefined;
		let maxPages = Number.POSITIVE_INFINITY;
		let owner: string | undefined;
		if (flags & OPEN_MAIN_DB) {
			const main = this.#mains.get(name);
			if (main === undefined || this.#mainsOpen.has(name)) return CANTOPEN;
			this.#mainsOpen.add(name);
			file = main.file;
			maxPages = main.maxPages;
		} else {
			const scratch = this.#scratch.get(name) ?? { file: new PageFile(), owner: this.#owner };
			this.#scratch.set(name, scratch);
			file = scratch.file;
			owner = scratch.owner;
			if (owner !== undefined) {
				const files = this.#ownerFiles.get(owner) ?? new Set<PageFile>();
				this.#ownerFiles.set(owner, files);
				files.add(file);
			}
		}
		this.#open.set(fileId, {
			name,
			file,
			deleteOnClose: filename === null || (flags & OPEN_DELETEONCLOSE) !== 0,
			main: (flags & OPEN_MAIN_DB) !== 0,
			maxPages,
			owner,
		});
		outFlags.setInt32(0, flags, true);
		return OK;
	}

	jClose(fileId: number): number {
		const open = this.#open.get(fileId);
		this.#open.delete(fileId);
		if (open?.main) this.#mainsOpen.delete(open.name);
		if (open?.deleteOnClose) this.#scratch.delete(open.name);
		if (open !== undefined && !open.main) this.#forgetScratch(open.file, open.owner);
		return OK;
	}

	jRead(fileId: number, data: Uint8Array, offset: number): number {
		const open = this.#open.get(fileId);
		const read = open ? open.file.read(data, offset) : 0;
		return read < data.byteLength ? IOERR_SHORT_READ : OK;
	}

	jWrite(fileId: number, data: Uint8Array, offset: number): number {
		const open = this.#open.get(fileId);
		if (open === undefined) return OK;
		if (!open.main) {
			const grows = Math.max(0, offset + data.byteLength - open.file.size);
			if (grows > 0 && this.#scratchFull(open.owner, grows)) return FULL;
		}
		open.file.write(data, offset);
		return OK;
	}

	/**
	 * Whether scratch files would hold too much with `grows` bytes more: all of them past the
	 * VFS's bound, or `owner`'s past its own. Actors' temporary tables and sorts were bounded by
	 * nothing, in the one memory every actor's database shares: one actor grew them to 2 GiB,
	 * and other actors' writes failed (an attacker probe, 2026-11-29).
	 */
	#scratchFull(owner: string | undefined, grows: number): boolean {
		if (this.#maxScratchBytes < Number.POSITIVE_INFINITY) {
			// Open ones too: a file deleted while open (jDelete) still holds its bytes.
			const files = new Set<PageFile>();
			for (const { file } of this.#scratch.values()) files.add(file);
			for (const other of this.#open.values()) if (!other.main) files.add(other.file);
			let all = 0;
			for (const file of files) all += file.size;
			if (all + grows > this.#maxScratchBytes) return true;
		}
		const limit = owner === undefined ? undefined : this.#mains.get(owner)?.maxScratchBytes;
		if (limit === undefined || limit === Number.POSITIVE_INFINITY) return false;
		let own = 0;
		for (const file of this.#ownerFiles.get(owner as string) ?? []) own += file.size;
		return own + grows > limit;
	}

	/** Stops counting `file` against `owner` once it is deleted and no longer open. */
	#forgetScratch(file: PageFile, owner: string | undefined): void {
		if (owner === undefined) return;
		for (const { file: named } of this.#scratch.values()) if (named === file) return;
		for (const open of this.#open.values()) if (open.file === file) return;
		this.#ownerFiles.get(owner)?.delete(file);
	}

	jTruncate(fileId: number, size: number): number {
		this.#open.get(fileId)?.file.truncate(size);
		return OK;
	}

	jSync(): number {
		// Durability comes from the actor's commit, not from here.
		return OK;
	}

	jFileSize(fileId: number, size: DataView): number {
		size.setBigInt64(0, BigInt(this.#open.get(fileId)?.file.size ?? 0), true);
		return OK;
	}

	jLock(): number {
		return OK;
	}

	jUnlock(): number {
		return OK;
	}

	jCheckReservedLock(_fileId: number, result: DataView): number {
		result.setInt32(0, 0, true);
		return OK;
	}

	/** Refuses the pragmas pragma-guard.ts names on a main file, with SQLite's error. */
	jFileControl(fileId: number, op: number, arg: DataView): number {
		if (op !== FCNTL_PRAGMA) return NOTFOUND;
		const open = this.#open.get(fileId);
		if (open?.main !== true) return NOTFOUND;
		const m = this.#module;
		const value = arg.getUint32(8, true);
		const refusal = pragmaRefusal(
			m.UTF8ToString(arg.getUint32(4, true)),
			value === 0 ? undefined : m.UTF8ToString(value),
			open.maxPages,
		);
		if (refusal === undefined) return NOTFOUND;
		// SQLite reports the message and frees it (sqlite3_free).
		const message = new TextEncoder().encode(refusal);
		const pointer = m._sqlite3_malloc(message.byteLength + 1);
		if (pointer === 0) return NOMEM;
		m.HEAPU8.set(message, pointer);
		m.HEAPU8[pointer + message.byteLength] = 0;
		arg.setUint32(0, pointer, true);
		return ERROR;
	}

	jSectorSize(): number {
		return 4096;
	}

	jDeviceCharacteristics(): number {
		return IOCAP_SAFE_APPEND | IOCAP_SEQUENTIAL | IOCAP_POWERSAFE_OVERWRITE;
	}

	jAccess(filename: string, _flags: number, result: DataView): number {
		result.setInt32(0, this.#mains.has(filename) || this.#scratch.has(filename) ? 1 : 0, true);
		return OK;
	}

	jDelete(filename: string): number {
		const scratch = this.#scratch.get(filename);
		this.#scratch.delete(filename);
		if (scratch !== undefined) this.#forgetScratch(scratch.file, scratch.owner);
		return OK;
	}
}

/**
 * Creates the VFS for a loaded module (register it with the module's API). `maxScratchBytes`
 * bounds its scratch files (sort spills, temporary tables) together.
 */
export function createVfs(
	module: SqliteModule,
	name: string = VFS_NAME,
	maxScratchBytes = Number.POSITIVE_INFINITY,
): TenonVfs & object {
	return new ActorFileVfs(name, module, maxScratchBytes);
}
