import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as WaSqlite from "@journeyapps/wa-sqlite";
import { guardHeapGrowth } from "./heap-growth.js";
import { SQLITE, SqliteError, type SqlValue } from "./sqlite-constants.js";
import type { SqliteModule } from "./sqlite-module.js";
import { withMemoryMax } from "./wasm-memory-max.js";
import { scratchOf, type WasmScratch } from "./wasm-scratch.js";
import { instantiateKeepingStack } from "./wasm-stack.js";

// A synchronous binding over SQLite compiled to WebAssembly (wa-sqlite's
// synchronous build): statements run as plain calls into the module, without
// a promise per step, so a point query costs microseconds.

export type { SqliteModule } from "./sqlite-module.js";

/** sqlite3_stmt_status's count of automatic re-preparations (a schema change). */
const STMTSTATUS_REPREPARE = 5;
/** Bytes of bound text and blobs a reset statement may keep (see Statement.reset). */
const KEPT_BOUND_BYTES = 64 * 1024;

export {
	SQLITE,
	SQLITE_LIMIT_COLUMN,
	SQLITE_LIMIT_LENGTH,
	SqliteError,
	type SqlValue,
} from "./sqlite-constants.js";

interface Loaded {
	module: SqliteModule;
	/** wa-sqlite's API object, used for VFS registration and the progress handler. */
	api: ReturnType<typeof WaSqlite.Factory>;
}

let loading: Promise<Loaded> | undefined;
let memoryMaxBytes: number | undefined;

/**
 * Caps the memory of this thread's SQLite (before it is loaded): past it an allocation fails
 * and the statement answers "out of memory". For the inspector's worker (inspect-worker.ts),
 * whose queries are a token holder's; the actors' SQLite keeps the module's 2 GiB.
 */
export function capSqliteMemory(maxBytes: number): void {
	if (loading !== undefined) throw new Error("capSqliteMemory: SQLite is loaded already");
	memoryMaxBytes = maxBytes;
}

/** Loads the WebAssembly module once per process. */
export function loadSqlite(): Promise<Loaded> {
	loading ??= (async () => {
		const dist = (file: string) =>
			createRequire(import.meta.url).resolve(`@journeyapps/wa-sqlite/dist/${file}`);
		const file = readFileSync(dist("wa-sqlite.wasm"));
		const wasmBinary = memoryMaxBytes === undefined ? file : withMemoryMax(file, memoryMaxBytes);
		// Loaded here, not at import: wa-sqlite installs `BigInt.prototype.toJSON` (bigints as strings
		// in every JSON.stringify of the process, RivetKit's JSON client included). Tenon does not
		// need it: taken back unless something else had set it first.
		const hadToJSON = Object.hasOwn(BigInt.prototype, "toJSON");
		const waSqlite = await import("@journeyapps/wa-sqlite");
		const { default: SQLiteESMFactory } = await import("@journeyapps/wa-sqlite/dist/wa-sqlite.mjs");
		if (!hadToJSON) delete (BigInt.prototype as { toJSON?: unknown }).toJSON;
		const loader = readFileSync(dist("wa-sqlite.mjs"), "utf8");
		// Not found (another build): unbounded, said once, and test/db/statement-heap.test.ts fails.
		const made = await instantiateKeepingStack(SQLiteESMFactory, wasmBinary, loader, (imports) => {
			if (!guardHeapGrowth(imports, loader))
				process.emitWarning(
					"tenon: this wa-sqlite build's heap growth was not found; one SQL statement's memory is not bounded",
				);
		});
		const module = made.module as SqliteModule;
		module.wasmStack = made.stack;
		const api = waSqlite.Factory(module);
		return { module, api };
	})();
	return loading;
}

const MAX_SAFE_HI = Number(BigInt(Number.MAX_SAFE_INTEGER) >> 32n);
const MIN_SAFE_HI = Number(BigInt(Number.MIN_SAFE_INTEGER) >> 32n);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function outOfMemory(size: number): SqliteError {
	return new SqliteError(
		`out of memory binding a value of ${size} bytes or characters`,
		SQLITE.NOMEM,
	);
}

/** A prepared statement. */
export class Statement {
	readonly #connection: Connection;
	readonly pointer: number;
	readonly parameterCount: number;
	readonly readonly: boolean;
	/** Column names, read again when SQLite prepared the statement anew. */
	#columns: string[];
	/** SQLite's count of re-preparations when {@link #columns} were read. */
	#prepared: number;
	/** No step since the statement was made or reset: the next one checks the columns. */
	#fresh = true;
	/**
	 * Bytes of the values read since it was made or reset: 8 a value (a slot of its row) and 16 a
	 * row, plus text and blobs as stored. Rows of NULLs and '' counted nothing: 1.5 million rows of
	 * 40 of them, within the limit, took 3.3 GB (an attacker probe, 2026-11-27).
	 */
	bytesRead = 0;
	/** Bytes of text and blobs bound since it was made or reset (see {@link reset}). */
	#boundBytes = 0;

	constructor(connection: Connection, pointer: number) {
		this.#connection = connection;
		this.pointer = pointer;
		const m = connection.module;
		this.#columns = this.#readColumns();
		this.#prepared = m._sqlite3_stmt_status(pointer, STMTSTATUS_REPREPARE, 0);
		this.parameterCount = m._sqlite3_bind_parameter_count(pointer);
		this.readonly = m._sqlite3_stmt_readonly(pointer) !== 0;
	}

	/**
	 * Column names (of the statement as last prepared). A cached statement
	 * that SQLite prepared again after a schema change kept the names it was
	 * made with: after `ALTER TABLE ... ADD COLUMN`, `SELECT *` left the new
	 * column out, and a renamed one came back under its old name (a review,
	 * 2026-11-26).
	 */
	get columns(): string[] {
		return this.#columns;
	}

	#readColumns(): string[] {
		const m = this.#connection.module;
		const count = m._sqlite3_column_count(this.pointer);
		return Array.from({ length: count }, (_, i) =>
			m.UTF8ToString(m._sqlite3_column_name(this.pointer, i)),
		);
	}

	/**
	 * Binds positional values, or named ones (`:name`, `@name`, `$name`) from
	 * an object, to a statement that is new or was {@link reset} after its
	 * last run. Every parameter gets a value (or the call throws), so earlier
	 * bindings never need clearing.
	 */
	bind(params: readonly unknown[] | Record<string, unknown>): void {
		const m = this.#connection.module;
		if (Array.isArray(params)) {
			if (params.length !== this.parameterCount) {
				throw new SqliteError(
					`the statement has ${this.parameterCount} parameter(s) but ${params.length} value(s) were given`,
					SQLITE.ERROR,
				);
			}
			for (let i = 0; i < params.length; i++) this.#bindOne(i + 1, params[i]);
			return;
		}
		for (let i = 1; i <= this.parameterCount; i++) {
			const namePointer = m._sqlite3_bind_parameter_name(this.pointer, i);
			if (namePointer === 0) {
				throw new SqliteError(`parameter ${i} is positional; pass values as a list`, SQLITE.ERROR);
			}
			const name = m.UTF8ToString(namePointer).slice(1);
			if (!Object.hasOwn(params, name)) {
				throw new SqliteError(`no value for the named parameter '${name}'`, SQLITE.ERROR);
			}
			this.#bindOne(i, (params as Record<string, unknown>)[name]);
		}
	}

	#bindOne(index: number, value: unknown): void {
		const m = this.#connection.module;
		let rc: number;
		if (value === null || value === undefined) rc = m._sqlite3_bind_null(this.pointer, index);
		else if (typeof value === "number") {
			if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
				rc = m._sqlite3_bind_int(this.pointer, index, value);
			} else if (Number.isSafeInteger(value)) {
				rc = this.#bindInt64(index, BigInt(value));
			} else {
				rc = m._sqlite3_bind_double(this.pointer, index, value);
			}
		} else if (typeof value === "bigint") {
			rc = this.#bindInt64(index, value);
		} else if (typeof value === "boolean") {
			rc = m._sqlite3_bind_int(this.pointer, index, value ? 1 : 0);
		} else if (typeof value === "string") {
			const scratch = this.#connection.scratch;
			const length = scratch.writeText(value);
			if (length < 0) throw outOfMemory(value.length);
			// TRANSIENT: SQLite copies the value now, so the buffer is free for the next one.
			rc = m._sqlite3_bind_text(this.pointer, index, scratch.pointer, length, SQLITE.TRANSIENT);
			scratch.release();
			this.#boundBytes += length;
		} else if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
			const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
			const scratch = this.#connection.scratch;
			const length = scratch.writeBytes(bytes);
			if (length < 0) throw outOfMemory(bytes.byteLength);
			rc = m._sqlite3_bind_blob(this.pointer, index, scratch.pointer, length, SQLITE.TRANSIENT);
			scratch.release();
			this.#boundBytes += length;
		} else {
			throw new SqliteError(
				`cannot bind a value of type ${value?.constructor?.name ?? typeof value} (parameter ${index}); use numbers, bigints, strings, booleans, Uint8Arrays or null`,
				SQLITE.ERROR,
			);
		}
		this.#connection.check(rc);
	}

	#bindInt64(index: number, value: bigint): number {
		if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) {
			throw new SqliteError(`integer ${value} does not fit in 64 bits`, SQLITE.ERROR);
		}
		const lo = Number(value & 0xffffffffn) | 0;
		const hi = Number(value >> 32n) | 0;
		return this.#connection.module._sqlite3_bind_int64(this.pointer, index, lo, hi);
	}

	/** Steps once: true when a row is available. */
	step(): boolean {
		const m = this.#connection.module;
		const rc = m._sqlite3_step(this.pointer);
		// SQLite prepares a statement anew, when the schema changed, inside its first step.
		if (this.#fresh) {
			this.#fresh = false;
			const prepared = m._sqlite3_stmt_status(this.pointer, STMTSTATUS_REPREPARE, 0);
			if (prepared !== this.#prepared) {
				this.#prepared = prepared;
				this.#columns = this.#readColumns();
			}
		}
		if (rc === SQLITE.ROW) return true;
		if (rc === SQLITE.DONE) return false;
		this.reset();
		this.#connection.check(rc);
		return false;
	}

	/** The current row as an array. */
	values(): SqlValue[] {
		const columns = this.#columns.length;
		this.bytesRead += 16;
		const out: SqlValue[] = new Array(columns);
		for (let i = 0; i < columns; i++) out[i] = this.#column(i);
		return out;
	}

	/**
	 * The current row with long texts and blobs as previews, read no further: a text past
	 * `maxText` bytes (UTF-8) is its start and `…(+N bytes)`, a blob (any) `{ $bytes: <hex of
	 * its first maxBlob bytes at most>, length }` (the inspector's previews,
	 * common/value-preview.ts).
	 */
	previewValues(maxText: number, maxBlob: number): unknown[] {
		const m = this.#connection.module;
		const p = this.pointer;
		const out: unknown[] = new Array(this.#columns.length);
		for (let i = 0; i < out.length; i++) {
			const type = m._sqlite3_column_type(p, i);
			if (type !== SQLITE.TEXT && type !== SQLITE.BLOB) {
				out[i] = this.#column(i);
				continue;
			}
			const pointer =
				type === SQLITE.TEXT ? m._sqlite3_column_text(p, i) : m._sqlite3_column_blob(p, i);
			const length = m._sqlite3_column_bytes(p, i);
			if (type === SQLITE.BLOB) {
				// Every blob in one shape, short or long (its hex, its first maxBlob bytes).
				const shown = Math.min(length, maxBlob);
				this.bytesRead += 8 + shown;
				const start = m.HEAPU8.subarray(pointer, pointer + shown);
				out[i] = { $bytes: Buffer.from(start).toString("hex"), length };
				continue;
			}
			if (length <= maxText) {
				out[i] = this.#column(i);
				continue;
			}
			this.bytesRead += 8 + maxText;
			// Cut before a character's continuation bytes, not inside it.
			let cut = maxText;
			while (cut > 0 && ((m.HEAPU8[pointer + cut] as number) & 0xc0) === 0x80) cut--;
			const text = decoder.decode(m.HEAPU8.subarray(pointer, pointer + cut));
			out[i] = `${text}…(+${length - cut} bytes)`;
		}
		this.bytesRead += 16;
		return out;
	}

	/** The current row as an object keyed by column name. */
	row(): Record<string, SqlValue> {
		const out: Record<string, SqlValue> = {};
		const columns = this.#columns;
		for (let i = 0; i < columns.length; i++) out[columns[i] as string] = this.#column(i);
		return out;
	}

	#column(i: number): SqlValue {
		const m = this.#connection.module;
		const p = this.pointer;
		this.bytesRead += 8;
		switch (m._sqlite3_column_type(p, i)) {
			case SQLITE.INTEGER: {
				const lo = m._sqlite3_column_int64(p, i);
				const hi = m.getTempRet0();
				if (hi > MAX_SAFE_HI || hi < MIN_SAFE_HI) {
					return (BigInt(hi) << 32n) | (BigInt(lo) & 0xffffffffn);
				}
				return hi * 0x100000000 + (lo >>> 0);
			}
			case SQLITE.FLOAT:
				return m._sqlite3_column_double(p, i);
			case SQLITE.TEXT: {
				const pointer = m._sqlite3_column_text(p, i);
				const length = m._sqlite3_column_bytes(p, i);
				this.bytesRead += length;
				return decoder.decode(m.HEAPU8.subarray(pointer, pointer + length));
			}
			case SQLITE.BLOB: {
				const pointer = m._sqlite3_column_blob(p, i);
				const length = m._sqlite3_column_bytes(p, i);
				this.bytesRead += length;
				return m.HEAPU8.slice(pointer, pointer + length);
			}
			default:
				return null;
		}
	}

	/**
	 * Ready for the next run. Long values bound are let go too: SQLite keeps a reset statement's
	 * bindings, and each of an actor's 64 cached statements held its last 60 MiB blob in the heap
	 * every actor shares, 2 GiB across statements that each stayed within their own bound (a
	 * review, 2026-11-29). Short ones stay (a call each run would cost bulk inserts).
	 */
	reset(): void {
		const m = this.#connection.module;
		m._sqlite3_reset(this.pointer);
		if (this.#boundBytes > KEPT_BOUND_BYTES) m._sqlite3_clear_bindings(this.pointer);
		this.#boundBytes = 0;
		this.#fresh = true;
		this.bytesRead = 0;
	}

	finalize(): void {
		this.#connection.module._sqlite3_finalize(this.pointer);
	}
}

/** One open SQLite database connection. */
export class Connection {
	readonly module: SqliteModule;
	readonly pointer: number;
	/** Where text and blob parameters are staged (one buffer per module). */
	readonly scratch: WasmScratch;
	#closed = false;

	constructor(module: SqliteModule, pointer: number) {
		this.module = module;
		this.pointer = pointer;
		this.scratch = scratchOf(module);
	}

	/** Opens `filename` through the VFS named `vfs`. */
	static open(module: SqliteModule, filename: string, vfs: string, flags: number): Connection {
		const name = Connection.#cString(module, filename);
		const vfsName = Connection.#cString(module, vfs);
		const out = module._malloc(4);
		try {
			const rc = module._sqlite3_open_v2(name, out, flags, vfsName);
			const pointer = module.HEAP32[out >> 2] as number;
			if (rc !== SQLITE.OK) {
				const message = pointer
					? module.UTF8ToString(module._sqlite3_errmsg(pointer))
					: "open failed";
				if (pointer) module._sqlite3_close_v2(pointer);
				throw new SqliteError(message, rc);
			}
			const connection = new Connection(module, pointer);
			module._sqlite3_extended_result_codes(pointer, 1);
			return connection;
		} finally {
			module._free(out);
			module._free(name);
			module._free(vfsName);
		}
	}

	static #cString(module: SqliteModule, text: string): number {
		const bytes = encoder.encode(text);
		const pointer = module._malloc(bytes.byteLength + 1);
		module.HEAPU8.set(bytes, pointer);
		module.HEAPU8[pointer + bytes.byteLength] = 0;
		return pointer;
	}

	/** Throws a {@link SqliteError} unless `rc` is OK. */
	check(rc: number): void {
		if (rc === SQLITE.OK) return;
		const message = this.module.UTF8ToString(this.module._sqlite3_errmsg(this.pointer));
		throw new SqliteError(message, rc);
	}

	/**
	 * Prepares the statements of `sql` one at a time (a script may hold
	 * several, and a later one may depend on what an earlier one created),
	 * handing each to `use`, then finalizing it. Empty statements are skipped.
	 */
	eachStatement(sql: string, use: (statement: Statement, index: number) => void): void {
		const m = this.module;
		const bytes = encoder.encode(sql);
		const head = m._malloc(bytes.byteLength + 1);
		const out = m._malloc(8);
		try {
			m.HEAPU8.set(bytes, head);
			m.HEAPU8[head + bytes.byteLength] = 0;
			const end = head + bytes.byteLength;
			let tail = head;
			let index = 0;
			while (tail < end) {
				this.check(m._sqlite3_prepare_v3(this.pointer, tail, end - tail, 0, out, out + 4));
				const pointer = m.HEAP32[out >> 2] as number;
				const next = m.HEAP32[(out + 4) >> 2] as number;
				if (pointer !== 0) {
					const statement = new Statement(this, pointer);
					try {
						use(statement, index++);
					} finally {
						statement.finalize();
					}
				}
				if (next <= tail) break;
				tail = next;
			}
		} finally {
			m._free(out);
			m._free(head);
		}
	}

	/** Prepares the first statement of `sql`; `hasMore` tells whether other statements follow it. */
	prepareFirst(sql: string): { statement: Statement | undefined; hasMore: boolean } {
		const m = this.module;
		const bytes = encoder.encode(sql);
		const head = m._malloc(bytes.byteLength + 1);
		const out = m._malloc(8);
		try {
			m.HEAPU8.set(bytes, head);
			m.HEAPU8[head + bytes.byteLength] = 0;
			this.check(m._sqlite3_prepare_v3(this.pointer, head, bytes.byteLength, 0, out, out + 4));
			const pointer = m.HEAP32[out >> 2] as number;
			const next = m.HEAP32[(out + 4) >> 2] as number;
			const rest = m.UTF8ToString(next).trim();
			const hasMore = rest !== "" && rest.replace(/^;+/, "").trim() !== "";
			return { statement: pointer === 0 ? undefined : new Statement(this, pointer), hasMore };
		} finally {
			m._free(out);
			m._free(head);
		}
	}

	/** True when no transaction is open. */
	get autocommit(): boolean {
		return this.module._sqlite3_get_autocommit(this.pointer) !== 0;
	}

	get changes(): number {
		return this.module._sqlite3_changes(this.pointer);
	}

	get lastInsertRowid(): number | bigint {
		const lo = this.module._sqlite3_last_insert_rowid(this.pointer);
		const hi = this.module.getTempRet0();
		if (hi > MAX_SAFE_HI || hi < MIN_SAFE_HI)
			return (BigInt(hi) << 32n) | (BigInt(lo) & 0xffffffffn);
		return hi * 0x100000000 + (lo >>> 0);
	}

	/** Interrupts the running statement (it fails with SQLITE_INTERRUPT). */
	interrupt(): void {
		this.module._sqlite3_interrupt(this.pointer);
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		// Finalize any statement still open, then close.
		for (;;) {
			const statement = this.module._sqlite3_next_stmt(this.pointer, 0);
			if (statement === 0) break;
			this.module._sqlite3_finalize(statement);
		}
		this.module._sqlite3_close_v2(this.pointer);
	}
}
