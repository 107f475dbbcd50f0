import { AREA } from "../storage/actor-keys.js";
import type { Entry, KeyRange } from "../storage/interfaces.js";

/** Bytes per stored chunk of the database file (SQLite's default page size). */
export const CHUNK_SIZE = 4096;

const META_KEY = Uint8Array.of(AREA.SQLITE, 0x00);
const CHUNK_PREFIX = 0x01;
/** Every stored chunk of the database file. */
export const CHUNK_RANGE: KeyRange = {
	start: Uint8Array.of(AREA.SQLITE, CHUNK_PREFIX),
	end: Uint8Array.of(AREA.SQLITE, CHUNK_PREFIX + 1),
};
/** Everything the database stores (chunks and the size record). */
export const DATABASE_RANGE: KeyRange = {
	start: Uint8Array.of(AREA.SQLITE),
	end: Uint8Array.of(AREA.SQLITE + 1),
};

function chunkKey(index: number): Uint8Array {
	const key = new Uint8Array(6);
	key[0] = AREA.SQLITE;
	key[1] = CHUNK_PREFIX;
	new DataView(key.buffer).setUint32(2, index);
	return key;
}

function sizeRecord(size: number): Uint8Array {
	const bytes = new Uint8Array(8);
	new DataView(bytes.buffer).setFloat64(0, size);
	return bytes;
}

/** Where a page file's changes go: the actor's buffered writes. */
export interface PageSink {
	put(key: Uint8Array, value: Uint8Array): void;
	delete(key: Uint8Array): void;
	deleteRange(range: KeyRange): void;
}

/**
 * The main database file of one actor's SQLite database, held in memory as
 * fixed-size chunks and stored as one entry per chunk (plus its size), so a
 * commit writes only the chunks that changed.
 *
 * A flush hands the changed chunks themselves to the sink, not copies: they
 * are copied on write instead, when a later write changes a chunk handed
 * over (which the commit may still be reading). A transaction that appends
 * rows rewrites few of the chunks the one before it flushed, so most chunks
 * are never copied.
 */
export class PageFile {
	readonly #chunks = new Map<number, Uint8Array>();
	#size = 0;
	#storedSize = 0;
	/** Chunks written since the last flush. */
	readonly #dirty = new Set<number>();
	/** Chunks handed to a sink and not written since: copied before they change. */
	readonly #shared = new Set<number>();

	/** Rebuilds the file from its stored entries. */
	static fromEntries(entries: readonly Entry[]): PageFile {
		const file = new PageFile();
		for (const [key, value] of entries) {
			if (key.byteLength === 2 && key[1] === 0x00) {
				file.#size = new DataView(value.buffer, value.byteOffset, 8).getFloat64(0);
			} else if (key[1] === CHUNK_PREFIX && key.byteLength === 6) {
				const index = new DataView(key.buffer, key.byteOffset + 2, 4).getUint32(0);
				const chunk = new Uint8Array(CHUNK_SIZE);
				chunk.set(value.subarray(0, CHUNK_SIZE));
				file.#chunks.set(index, chunk);
			}
		}
		file.#storedSize = file.#size;
		return file;
	}

	get size(): number {
		return this.#size;
	}

	/** True when writes are waiting to be flushed. */
	get dirty(): boolean {
		return this.#dirty.size > 0 || this.#size !== this.#storedSize;
	}

	/** Reads into `target` from `offset`; returns the number of bytes that existed. */
	read(target: Uint8Array, offset: number): number {
		const end = Math.min(offset + target.byteLength, this.#size);
		let position = offset;
		while (position < end) {
			const index = Math.floor(position / CHUNK_SIZE);
			const within = position - index * CHUNK_SIZE;
			const length = Math.min(CHUNK_SIZE - within, end - position);
			const chunk = this.#chunks.get(index);
			const at = position - offset;
			if (chunk) target.set(chunk.subarray(within, within + length), at);
			else target.fill(0, at, at + length);
			position += length;
		}
		const read = Math.max(0, end - offset);
		if (read < target.byteLength) target.fill(0, read);
		return read;
	}

	write(source: Uint8Array, offset: number): void {
		let position = offset;
		const end = offset + source.byteLength;
		while (position < end) {
			const index = Math.floor(position / CHUNK_SIZE);
			const within = position - index * CHUNK_SIZE;
			const length = Math.min(CHUNK_SIZE - within, end - position);
			const chunk = this.#writable(index);
			chunk.set(source.subarray(position - offset, position - offset + length), within);
			this.#dirty.add(index);
			position += length;
		}
		if (end > this.#size) this.#size = end;
	}

	truncate(size: number): void {
		if (size >= this.#size) {
			this.#size = size;
			return;
		}
		const keep = Math.ceil(size / CHUNK_SIZE);
		for (const index of [...this.#chunks.keys()]) {
			if (index >= keep) {
				this.#chunks.delete(index);
				this.#dirty.delete(index);
				this.#shared.delete(index);
			}
		}
		const partial = size % CHUNK_SIZE;
		if (partial !== 0 && this.#chunks.has(keep - 1)) {
			this.#writable(keep - 1).fill(0, partial);
			this.#dirty.add(keep - 1);
		}
		this.#size = size;
	}

	/** Moves the changes since the last flush into `sink` (they commit with the actor's turn). */
	flush(sink: PageSink): void {
		if (!this.dirty) return;
		const chunks = Math.ceil(this.#size / CHUNK_SIZE);
		const storedChunks = Math.ceil(this.#storedSize / CHUNK_SIZE);
		if (chunks < storedChunks) {
			sink.deleteRange({ start: chunkKey(chunks), end: CHUNK_RANGE.end });
		}
		for (const index of this.#dirty) {
			const chunk = this.#chunks.get(index);
			if (chunk && index < chunks) {
				sink.put(chunkKey(index), chunk);
				this.#shared.add(index);
			}
		}
		this.#dirty.clear();
		if (this.#size !== this.#storedSize) {
			sink.put(META_KEY, sizeRecord(this.#size));
			this.#storedSize = this.#size;
		}
	}

	/** The chunk at `index`, made if missing, and copied first if a sink holds it. */
	#writable(index: number): Uint8Array {
		let chunk = this.#chunks.get(index);
		if (chunk === undefined) {
			chunk = new Uint8Array(CHUNK_SIZE);
			this.#chunks.set(index, chunk);
		} else if (this.#shared.delete(index)) {
			chunk = chunk.slice();
			this.#chunks.set(index, chunk);
		}
		return chunk;
	}
}
