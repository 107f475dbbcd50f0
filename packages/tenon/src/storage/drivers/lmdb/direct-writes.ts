import { closeSync, constants, openSync, readSync, write, writeSync } from "node:fs";

/** Granularity of the staging memory (a WebAssembly page). */
const STAGING_PAGE = 64 * 1024;
/** Staging kept between writes; a larger record gets memory of its own for that write. */
const STAGING_KEPT = 16 * STAGING_PAGE;
/** Bytes of zeros per write when a file grows. */
const ZERO_FILL_BYTES = 1024 * 1024;

/**
 * Writes to a file through a descriptor opened with `O_DIRECT`: the bytes go
 * from memory to the device without the page cache. A commit log record is
 * written once and read back only by a recovery at open, so the page cache
 * only cost it: the buffered write dirtied a page, and the `fdatasync` that
 * follows walked the file's dirty pages and wrote them back, the largest
 * share of a commit's CPU time after the device itself (a warm durable
 * action, 2026-11-25: 1.5 to 2.6% faster, and 3 to 4% less server CPU).
 * Durability is unchanged: a direct write returns once the device has the
 * bytes, and the `fdatasync` after it still flushes the device's cache.
 *
 * `O_DIRECT` needs memory, offsets and lengths aligned to the device's
 * blocks. Offsets and lengths are the log's 4 KiB blocks. Node cannot
 * align a Buffer, but a WebAssembly memory starts on a page boundary, so
 * the bytes are copied into one (a few hundred nanoseconds for a record).
 */
export class DirectWrites {
	readonly #fd: number;
	#staging: Uint8Array;

	private constructor(fd: number, staging: Uint8Array) {
		this.#fd = fd;
		this.#staging = staging;
	}

	/**
	 * Opens `path` for direct writes, or returns `undefined` when its file
	 * system refuses `O_DIRECT` or the alignment: a probe reads the file's
	 * first `probeBytes` (which must exist) through the new descriptor, and
	 * the kernel refuses a misaligned direct read as it would a write.
	 */
	static open(path: string, probeBytes: number): DirectWrites | undefined {
		let fd: number;
		try {
			fd = openSync(path, constants.O_RDWR | constants.O_DIRECT);
		} catch {
			return undefined;
		}
		const staging = stagingFor(probeBytes);
		try {
			if (readSync(fd, staging, 0, probeBytes, 0) !== probeBytes) throw new Error("short read");
		} catch {
			closeSync(fd);
			return undefined;
		}
		return new DirectWrites(fd, staging);
	}

	/** Writes `bytes` at `position`, returning once the device has them. */
	writeSync(bytes: Uint8Array, position: number): void {
		const staging = this.#stage(bytes);
		let done = 0;
		while (done < bytes.length)
			done += writeSync(this.#fd, staging, done, bytes.length - done, position + done);
	}

	/** The same, on libuv's thread pool. One at a time: the staging memory is shared. */
	write(bytes: Uint8Array, position: number): Promise<void> {
		const staging = this.#stage(bytes);
		return new Promise((resolve, reject) => {
			const step = (done: number) => {
				if (done >= bytes.length) return resolve();
				write(this.#fd, staging, done, bytes.length - done, position + done, (error, written) =>
					error ? reject(error) : step(done + written),
				);
			};
			step(0);
		});
	}

	/** Writes zeros from `start` to `end` (both multiples of the log's block), a MiB at a time. */
	zeroFill(start: number, end: number): void {
		const zeros = stagingFor(Math.min(ZERO_FILL_BYTES, end - start));
		for (let at = start; at < end; ) {
			const length = Math.min(zeros.length, end - at);
			at += writeSync(this.#fd, zeros, 0, length, at);
		}
	}

	close(): void {
		closeSync(this.#fd);
	}

	/** `bytes` copied to the start of aligned memory. */
	#stage(bytes: Uint8Array): Uint8Array {
		let staging = this.#staging;
		if (bytes.length > staging.length) {
			staging = stagingFor(bytes.length);
			if (staging.length <= STAGING_KEPT) this.#staging = staging;
		}
		staging.set(bytes);
		return staging;
	}
}

/** Page-aligned memory of at least `bytes`. */
function stagingFor(bytes: number): Uint8Array {
	const pages = Math.max(1, Math.ceil(bytes / STAGING_PAGE));
	return new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
}
