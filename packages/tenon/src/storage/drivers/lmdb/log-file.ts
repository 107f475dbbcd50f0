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
	/** The same, on libuv's thread pool. */
	write(bytes: Uint8Array, position: number): Promise<void>;
	/** Returns once every write so far is on stable storage (fdatasync). */
	datasyncSync(): void;
	/** The same, on libuv's thread pool. */
	datasync(): Promise<void>;
	/** Grows the file to `size` bytes of zeros and syncs it, size included. */
	extend(size: number): void;
	close(): void;
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
 * commit costs one data write and one device flush.
 */
export const openNodeLogFile: OpenLogFile = (path, initialSize) =>
	openNodeFile(path, initialSize, true);

/** {@link openNodeLogFile}, writing through the page cache: no `O_DIRECT`. */
export const openBufferedLogFile: OpenLogFile = (path, initialSize) =>
	openNodeFile(path, initialSize, false);

function openNodeFile(
	path: string,
	initialSize: number | undefined,
	directWrites: boolean,
): LogFile | undefined {
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
	let size = fstatSync(fd).size;
	/** Record writes bypass the page cache where the file system allows it (direct-writes.ts). */
	let direct: DirectWrites | undefined;
	/** A direct write the kernel refused before writing anything: buffered writes from then on. */
	const refused = (error: unknown) => {
		if ((error as NodeJS.ErrnoException).code !== "EINVAL") return false;
		direct?.close();
		direct = undefined;
		return true;
	};
	const file: LogFile = {
		get size() {
			return size;
		},
		read(position, length) {
			const out = new Uint8Array(Math.max(0, Math.min(length, size - position)));
			let done = 0;
			while (done < out.length) {
				const n = readSync(fd, out, done, out.length - done, position + done);
				if (n === 0) break;
				done += n;
			}
			return out.subarray(0, done);
		},
		writeSync(bytes, position) {
			if (direct !== undefined) {
				try {
					return direct.writeSync(bytes, position);
				} catch (error) {
					if (!refused(error)) throw error;
				}
			}
			writeAll(fd, bytes, position);
		},
		async write(bytes, position) {
			if (direct !== undefined) {
				try {
					return await direct.write(bytes, position);
				} catch (error) {
					if (!refused(error)) throw error;
				}
			}
			return new Promise((resolve, reject) => {
				const step = (done: number) => {
					if (done >= bytes.length) return resolve();
					write(fd, bytes, done, bytes.length - done, position + done, (error, written) =>
						error ? reject(error) : step(done + written),
					);
				};
				step(0);
			});
		},
		datasyncSync() {
			fdatasyncSync(fd);
		},
		datasync() {
			return new Promise((resolve, reject) =>
				fdatasync(fd, (error) => (error ? reject(error) : resolve())),
			);
		},
		extend(target) {
			// One block per write: the page cache sizes a new folio by the write
			// that creates it (Linux 6.x, ext4 with large folios), and a commit's
			// 4 KiB write into a large folio walks every block of it, in the
			// write and again in the writeback of the sync. Filled with 1 MiB
			// writes, the log's pages were 1 MiB folios, and each commit's write
			// and sync cost 4 and 6 µs more than in a file filled block by block
			// (row 1, 2026-11-25: 3.4% of a warm durable action's time).
			// Direct writes leave no folios behind, so they can be large.
			if (direct !== undefined) direct.zeroFill(size, target);
			else for (let at = size; at < target; at += LOG_BLOCK) writeAll(fd, ZEROS, at);
			// The size changed, so this fdatasync flushes the inode as well.
			fdatasyncSync(fd);
			size = Math.max(size, target);
		},
		close() {
			direct?.close();
			closeSync(fd);
		},
	};
	const wanted = roundUp(Math.max(size, initialSize ?? 0));
	if (wanted !== size) file.extend(wanted);
	if (directWrites && size >= LOG_BLOCK) direct = DirectWrites.open(path, LOG_BLOCK);
	if (created) syncDirectory(dirname(path));
	return file;
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
