import { Buffer } from "node:buffer";
import type { SqliteModule } from "./sqlite.js";

/** Bytes the scratch buffer starts with, and always keeps. */
const MIN_CAPACITY = 1024;
/**
 * Past this, the buffer is given back after each use: one large value (a
 * 1 MiB blob) should not pin that much WebAssembly memory for the process.
 */
const KEEP_CAPACITY = 64 * 1024;
/** Strings up to this many UTF-16 units are written by hand when they are ASCII. */
const SHORT_STRING = 64;
const encoder = new TextEncoder();

/**
 * One reusable buffer in a SQLite module's memory, through which text and
 * blob parameters are handed to SQLite (which copies them: they are bound as
 * SQLITE_TRANSIENT). It replaces an allocation, a `TextEncoder.encode` (a new
 * ArrayBuffer per call) and a `malloc`/`free` pair per bound value: for small
 * rows those were most of the cost of binding.
 *
 * One per module: the module is single-threaded and every use ends before the
 * next starts (write, then bind, in the same synchronous call).
 */
export class WasmScratch {
	readonly #module: SqliteModule;
	#pointer = 0;
	#capacity = 0;

	constructor(module: SqliteModule) {
		this.#module = module;
	}

	/** Where the last written value starts (never 0: SQLite would bind 0 as NULL). */
	get pointer(): number {
		return this.#pointer;
	}

	/**
	 * Writes `value` as UTF-8 (lone surrogates as U+FFFD, like TextEncoder) at
	 * {@link pointer}; returns its byte length, or -1 when the module is out of memory.
	 */
	writeText(value: string): number {
		const units = value.length;
		if (units <= SHORT_STRING) {
			// At most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
			if (!this.#reserve(units * 3)) return -1;
			const heap = this.#module.HEAPU8;
			const start = this.#pointer;
			let i = 0;
			for (; i < units; i++) {
				const unit = value.charCodeAt(i);
				if (unit >= 0x80) break;
				heap[start + i] = unit;
			}
			if (i === units) return units;
			return encoder.encodeInto(value, heap.subarray(start, start + units * 3)).written;
		}
		// Long strings: reserve their exact size, not three times their length.
		const bytes = Buffer.byteLength(value, "utf8");
		if (!this.#reserve(bytes)) return -1;
		const start = this.#pointer;
		return encoder.encodeInto(value, this.#module.HEAPU8.subarray(start, start + bytes)).written;
	}

	/** Copies `bytes` to {@link pointer}; returns their length, or -1 when the module is out of memory. */
	writeBytes(bytes: Uint8Array): number {
		if (!this.#reserve(bytes.byteLength)) return -1;
		this.#module.HEAPU8.set(bytes, this.#pointer);
		return bytes.byteLength;
	}

	/** Gives back a buffer grown past what is kept between uses. */
	release(): void {
		if (this.#capacity <= KEEP_CAPACITY) return;
		this.#module._free(this.#pointer);
		this.#pointer = 0;
		this.#capacity = 0;
	}

	/** Makes room for `bytes` (false: the module is out of memory). */
	#reserve(bytes: number): boolean {
		// Never pointer 0, even for an empty value: SQLite binds a null pointer as NULL.
		if (this.#pointer !== 0 && bytes <= this.#capacity) return true;
		const capacity = Math.max(MIN_CAPACITY, bytes);
		const pointer = this.#module._malloc(capacity);
		if (pointer === 0) return false;
		if (this.#pointer !== 0) this.#module._free(this.#pointer);
		this.#pointer = pointer;
		this.#capacity = capacity;
		return true;
	}
}

const scratches = new WeakMap<SqliteModule, WasmScratch>();

/** The scratch buffer of `module` (made on first use). */
export function scratchOf(module: SqliteModule): WasmScratch {
	let scratch = scratches.get(module);
	if (scratch === undefined) {
		scratch = new WasmScratch(module);
		scratches.set(module, scratch);
	}
	return scratch;
}
