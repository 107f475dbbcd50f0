import {
	closeSync,
	constants,
	fdatasync,
	fdatasyncSync,
	fstatSync,
	fsyncSync,
	openSync,
	readSync,
	write,
	writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { DirectWrites } from "./direct-writes.js";

/**
 * The file under the commit log: positioned reads and writes, and a data
 * sync. It is a seam so tests can put a file that simulates power loss
 * under the log (dropping or tearing what was not synced); production uses
 * {@link openNodeLogFile}.
 */
export interface LogFile {
	/** Current size in bytes (always a multiple of {@link LOG_BLOCK}). */
	readonly size: number;
	/** `length` bytes at `position` (fewer at the end of the file). */
	read(position: number, length: number): Uint8Array;
	/** Writes `bytes` at `position` (no sync). */
	writeSync(bytes: Uint8Array, position: number): void;
	/** The same, on libuv's thread pool. One at a time: a write ends before the next starts. */
	write(bytes: Uint8Array, position: number): Promise<void>;
	/** Returns once every write so far is on stable storage (fdatasync). */
	datasyncSync(): void;
	/** The same, on libuv's thread pool. */
	datasync(): Promise<void>;
	/** Grows the file to `size` bytes of zeros and syncs it, size included. */
	extend(size: number): void;
	close(): void;
	/** Where the file reports what an operator should know (the server's log); unset: a process warning. */
	onWarning?: ((message: string) => void) | undefined;
}

/**
 * Opens the log file at `path`. With `initialSize`, creates it when absent
 * (that many bytes of zeros); without, returns `undefined` when absent.
 */
export type OpenLogFile = (path: string, initialSize?: number) => LogFile | undefined;

/** Alignment of every commit group in the log, and of the file's size. */
export const LOG_BLOCK = 4096;

const ZEROS = new Uint8Array(LOG_BLOCK);

/**
 * The log file on the local file system. A new file is filled with zeros
 * (written, not `fallocate`d: on ext4 and XFS an fallocated extent is
 * "unwritten", and the first write into it changes metadata, which makes
 * that fdatasync commit the file system journal too). Overwriting blocks
 * that already exist changes no metadata `fdatasync` must flush, so a
 * commit costs one data write and one device flush. Records are written
 * past the page cache where the file system allows it (direct-writes.ts).
 */
export const openNodeLogFile: OpenLogFile = (path, initialSize) =>
	NodeLogFile.open(path, initialSize, true);

/** {@link openNodeLogFile}, writing through the page cache: no `O_DIRECT`. */
export const openBufferedLogFile: OpenLogFile = (path, initialSize) =>
	NodeLogFile.open(path, initialSize, false);

/** A log file on the local file system (see {@link openNodeLogFile}). */
class NodeLogFile implements LogFile {
	readonly #descriptor: number;
	#closed = false;
	#size: number;
	/** Direct I/O where the file system allows it; undefined: through the page cache. */
	#direct: DirectWrites | undefined;
	onWarning: ((message: string) => void) | undefined;

	private constructor(fd: number) {
		this.#descriptor = fd;
		this.#size = fstatSync(fd).size;
	}

	/**
	 * The file's descriptor, until it is closed. Then every operation throws:
	 * the process reuses a closed descriptor's number for the next file it
	 * opens, and a commit after the storage was closed wrote its record into
	 * that file, synced it and was acknowledged (a review, 2026-11-26).
	 */
	get #fd(): number {
		if (this.#closed) throw new Error("commit log: the log file is closed");
		return this.#descriptor;
	}

	static open(path: string, initialSize: number | undefined, directWrites: boolean) {
		let fd: number;
		let created = false;
		try {
			fd = openSync(path, constants.O_RDWR);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
			if (initialSize === undefined) return undefined;
			fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
			created = true;
		}
		const file = new NodeLogFile(fd);
		try {
			const wanted = roundUp(Math.max(file.#size, initialSize ?? 0));
			if (wanted !== file.#size) file.extend(wanted);
			if (directWrites && file.#size >= LOG_BLOCK)
				file.#direct = DirectWrites.open(path, fd, LOG_BLOCK);
			if (created) syncDirectory(dirname(path));
		} catch (error) {
			file.close();
			throw error;
		}
		return file;
	}

	get size(): number {
		return this.#size;
	}

	read(position: number, length: number): Uint8Array {
		const out = new Uint8Array(Math.max(0, Math.min(length, this.#size - position)));
		// Past the page cache too: a recovery's read of the whole log through it
		// left the file cached (in large folios, by readahead), and every direct
		// write afterwards had a cached page to drop.
		const direct = this.#direct;
		if (direct !== undefined && position % LOG_BLOCK === 0) {
			try {
				return out.subarray(0, direct.readInto(out, position));
			} catch (error) {
				if (!this.#refused(error)) throw error;
			}
		}
		let done = 0;
		while (done < out.length) {
			const n = readSync(this.#fd, out, done, out.length - done, position + done);
			if (n === 0) break;
			done += n;
		}
		return out.subarray(0, done);
	}

	writeSync(bytes: Uint8Array, position: number): void {
		const direct = this.#direct;
		if (direct !== undefined) {
			try {
				direct.writeSync(bytes, position);
				return;
			} catch (error) {
				if (!this.#refused(error)) throw error;
			}
		}
		writeAll(this.#fd, bytes, position);
	}

	async write(bytes: Uint8Array, position: number): Promise<void> {
		const direct = this.#direct;
		if (direct !== undefined) {
			try {
				await direct.write(bytes, position);
				return;
			} catch (error) {
				if (!this.#refused(error)) throw error;
			}
		}
		let done = 0;
		while (done < bytes.length) {
			done += await new Promise<number>((resolve, reject) =>
				write(this.#fd, bytes, done, bytes.length - done, position + done, (error, n) =>
					error ? reject(error) : resolve(n),
				),
			);
		}
	}

	datasyncSync(): void {
		fdatasyncSync(this.#fd);
	}

	datasync(): Promise<void> {
		return new Promise((resolve, reject) =>
			fdatasync(this.#fd, (error) => (error ? reject(error) : resolve())),
		);
	}

	extend(target: number): void {
		let filled = false;
		const direct = this.#direct;
		if (direct !== undefined) {
			// Direct writes leave no folios behind, so they can be large.
			try {
				direct.zeroFill(this.#size, target);
				filled = true;
			} catch (error) {
				if (!this.#refused(error)) throw error;
			}
		}
		// One block per write: the page cache sizes a new folio by the write
		// that creates it (Linux 6.x, ext4 with large folios), and a commit's
		// 4 KiB write into a large folio walks every block of it, in the
		// write and again in the writeback of the sync. Filled with 1 MiB
		// writes, the log's pages were 1 MiB folios, and each commit's write
		// and sync cost 4 and 6 µs more than in a file filled block by block
		// (row 1, 2026-11-25: 3.4% of a warm durable action's time).
		if (!filled)
			for (let at = this.#size; at < target; at += LOG_BLOCK) writeAll(this.#fd, ZEROS, at);
		// The size changed, so this fdatasync flushes the inode as well.
		fdatasyncSync(this.#fd);
		this.#size = Math.max(this.#size, target);
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#direct?.close();
		this.#direct = undefined;
		closeSync(this.#descriptor);
	}

	/**
	 * A direct operation the kernel refused (EINVAL: an alignment it wants
	 * and did not get) or memory for it that could not be had: the file goes
	 * through the page cache from then on, and the caller does it again
	 * there. A refused write may have written part of the bytes (ext4 checks
	 * alignment extent by extent); the buffered write of the same bytes
	 * covers them.
	 */
	#refused(error: unknown): boolean {
		const refused =
			(error as NodeJS.ErrnoException).code === "EINVAL" || error instanceof RangeError;
		if (refused && this.#direct !== undefined) {
			this.#direct.close();
			this.#direct = undefined;
			// Once per file: an operator learns that records now go through the page cache. In the
			// server's log (a process warning was a multi-line text among JSON lines, 2026-11-29).
			const message = `the commit log's direct I/O was refused (${(error as Error).message}); writing it through the page cache from now on`;
			if (this.onWarning !== undefined) this.onWarning(message);
			else process.emitWarning(message, { code: "TENON_COMMIT_LOG_BUFFERED" });
		}
		return refused;
	}
}

/** Writes all of `bytes` at `position` through the page cache. */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
	let done = 0;
	while (done < bytes.length)
		done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function roundUp(bytes: number): number {
	return Math.ceil(bytes / LOG_BLOCK) * LOG_BLOCK;
}

/** Makes a new directory entry durable (its file's data is synced separately). */
function syncDirectory(path: string): void {
	const fd = openSync(path, constants.O_RDONLY);
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}
