import type { WasmStack } from "./wasm-stack.js";

// The SQLite WebAssembly module (wa-sqlite's synchronous build) as sqlite.ts uses it.

/** The Emscripten module, as far as this binding uses it. */
export interface SqliteModule {
	HEAPU8: Uint8Array;
	/** Its C stack pointer, to put back after a call that threw (wasm-stack.ts). */
	wasmStack?: WasmStack | undefined;
	HEAP32: Int32Array;
	_malloc(size: number): number;
	_free(pointer: number): void;
	getTempRet0(): number;
	UTF8ToString(pointer: number, maxBytes?: number): string;
	_sqlite3_malloc(size: number): number;
	_sqlite3_free(pointer: number): void;
	/** wa-sqlite's progress-handler shim: (db, steps, enabled, callback key). */
	_libprogress_progress_handler(db: number, steps: number, enabled: number, key: number): number;
	/** wa-sqlite's authorizer shim: (db, enabled, callback key). */
	_libauthorizer_set_authorizer(db: number, enabled: number, key: number): number;
	setCallback(key: number, callback: (...args: unknown[]) => unknown): void;
	deleteCallback(key: number): void;
	// The C functions this binding calls (pointers and integers in, integer out).
	_sqlite3_bind_blob(...args: number[]): number;
	/** sqlite3_limit(db, id, newValue): returns the old value. */
	_sqlite3_limit(db: number, id: number, value: number): number;
	/** sqlite3_test_control(op, ...): variadic, so its arguments sit in memory at `args`. */
	_sqlite3_test_control(op: number, args: number): number;
	_sqlite3_bind_double(...args: number[]): number;
	_sqlite3_bind_int(...args: number[]): number;
	_sqlite3_bind_int64(...args: number[]): number;
	_sqlite3_bind_null(...args: number[]): number;
	_sqlite3_bind_parameter_count(...args: number[]): number;
	_sqlite3_bind_parameter_name(...args: number[]): number;
	_sqlite3_bind_text(...args: number[]): number;
	_sqlite3_changes(...args: number[]): number;
	_sqlite3_clear_bindings(...args: number[]): number;
	_sqlite3_close_v2(...args: number[]): number;
	_sqlite3_column_blob(...args: number[]): number;
	_sqlite3_column_bytes(...args: number[]): number;
	_sqlite3_column_count(...args: number[]): number;
	_sqlite3_column_double(...args: number[]): number;
	_sqlite3_column_int64(...args: number[]): number;
	_sqlite3_column_name(...args: number[]): number;
	_sqlite3_column_text(...args: number[]): number;
	_sqlite3_column_type(...args: number[]): number;
	_sqlite3_errmsg(...args: number[]): number;
	_sqlite3_extended_result_codes(...args: number[]): number;
	_sqlite3_finalize(...args: number[]): number;
	_sqlite3_get_autocommit(...args: number[]): number;
	_sqlite3_interrupt(...args: number[]): number;
	_sqlite3_last_insert_rowid(...args: number[]): number;
	_sqlite3_next_stmt(...args: number[]): number;
	_sqlite3_open_v2(...args: number[]): number;
	_sqlite3_prepare_v3(...args: number[]): number;
	_sqlite3_reset(...args: number[]): number;
	_sqlite3_step(...args: number[]): number;
	_sqlite3_stmt_readonly(...args: number[]): number;
	/** sqlite3_stmt_explain(stmt, mode): 0 runs the statement, 1 lists its program (EXPLAIN). */
	_sqlite3_stmt_explain(statement: number, mode: number): number;
	/** sqlite3_stmt_isexplain(stmt): 0, or 1 for EXPLAIN, 2 for EXPLAIN QUERY PLAN. */
	_sqlite3_stmt_isexplain(statement: number): number;
	/** sqlite3_stmt_status(stmt, op, reset). */
	_sqlite3_stmt_status(statement: number, op: number, reset: number): number;
}
