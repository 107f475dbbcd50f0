import type { Logger } from "../common/logger.js";
import { type LongTimeout, setLongTimeout } from "../common/long-timeout.js";
import { traceSql } from "../observability/tracing.js";
import { databaseErrorOf, resultTooBig } from "./database-errors.js";
import { beginStatementHeap, endStatementHeap } from "./heap-growth.js";
import type { PageFile, PageSink } from "./page-file.js";
import {
	DatabaseError,
	type DatabaseLimits,
	type ResultSet,
	type Row,
	type SqlArg,
	type SqlArgs,
	type SqlDatabase,
	toObjects,
} from "./sql-database.js";
import type { Connection, SqliteModule, SqlValue, Statement } from "./sqlite.js";

const STATEMENT_CACHE_SIZE = 64;
/** Progress callbacks every N virtual machine steps (checks the statement deadline). */
const PROGRESS_STEPS = 1_000;

/** The timeout of the statement running now (one runs at a time per process). */
let statementTimeout = Number.POSITIVE_INFINITY;
/**
 * Its deadline, set at its first progress callback (after PROGRESS_STEPS
 * virtual machine steps) rather than when it starts: reading the clock for
 * every statement cost more than a small INSERT's own work in a bulk insert,
 * and a statement that ends before that callback cannot run over its time.
 */
let statementDeadline: number | undefined;

/** The progress handler: 1 interrupts the statement. */
function pastDeadline(): number {
	if (statementDeadline === undefined) {
		statementDeadline = performance.now() + statementTimeout;
		return 0;
	}
	return performance.now() > statementDeadline ? 1 : 0;
}

function isNamed(args: readonly unknown[]): args is [Record<string, SqlArg>] {
	const [first] = args;
	return (
		args.length === 1 &&
		typeof first === "object" &&
		first !== null &&
		!(first instanceof Uint8Array) &&
		!(first instanceof ArrayBuffer) &&
		!Array.isArray(first)
	);
}

interface LockWaiter {
	resolve(): void;
	reject(error: unknown): void;
	timer: LongTimeout;
}

/**
 * One actor's SQLite database: a connection to its {@link PageFile}, whose
 * changed chunks go to the actor's buffered writes every time a transaction
 * ends, so they commit with the actor's turn (durable before its reply).
 */
export class ActorDatabase implements SqlDatabase {
	readonly #module: SqliteModule;
	readonly #connection: Connection;
	readonly #file: PageFile;
	readonly #sink: PageSink;
	readonly #limits: DatabaseLimits;
	readonly #log: Logger;
	readonly #cache = new Map<string, Statement>();
	readonly #progressKey: number;
	/** The transaction holding the database, if any. */
	#owner: symbol | undefined;
	#waiters: LockWaiter[] = [];
	#closed = false;
	readonly #onClose: () => void;
	/** Runs a statement as this database's connection (its scratch files are its own: vfs.ts). */
	readonly #scope: <T>(run: () => T) => T;
	/** Owner of synchronous statements: they may run inside a transactionSync. */
	readonly #syncOwner = Symbol("sync");
	#syncDepth = 0;

	constructor(
		module: SqliteModule,
		connection: Connection,
		file: PageFile,
		sink: PageSink,
		limits: DatabaseLimits,
		log: Logger,
		setCallback: (key: number, callback: () => number) => void,
		onClose: () => void,
		scope: <T>(run: () => T) => T = (run) => run(),
	) {
		this.#onClose = onClose;
		this.#scope = scope;
		this.#module = module;
		this.#connection = connection;
		this.#file = file;
		this.#sink = sink;
		this.#limits = limits;
		this.#log = log;
		// A progress handler of our own (per connection) interrupts statements past their deadline.
		this.#progressKey = module._sqlite3_malloc(4);
		module.HEAP32[this.#progressKey >> 2] = 0;
		setCallback(this.#progressKey, pastDeadline);
		module._libprogress_progress_handler(connection.pointer, PROGRESS_STEPS, 1, this.#progressKey);
	}

	/** The progress-handler key, freed by the opener when the database closes. */
	get progressKey(): number {
		return this.#progressKey;
	}

	get sizeBytes(): number {
		return this.#file.size;
	}

	// ---- SqlDatabase ------------------------------------------------------------

	async execute<R = Row>(sql: string, ...args: SqlArgs): Promise<R[]> {
		// Inside a Drizzle transaction (synchronous, so this runs in it): not a statement of it.
		if (this.#syncDepth > 0)
			throw new DatabaseError(
				"transaction_open",
				"A Drizzle transaction is open: run its statements through its tx",
			);
		// Checked and run in the same tick: nothing can start a transaction in between.
		while (this.#owner !== undefined) await this.#released();
		return toObjects(this.run(sql, args, undefined)) as R[];
	}

	async transaction<T>(fn: (tx: SqlDatabase) => T | Promise<T>): Promise<T> {
		while (this.#owner !== undefined) await this.#released();
		const owner = Symbol("transaction");
		this.#owner = owner;
		let open = true;
		const tx: SqlDatabase = {
			execute: async <R>(sql: string, ...args: SqlArgs) => {
				if (!open) throw new DatabaseError("closed", "The transaction has ended; use c.db");
				this.#assertStillOpen();
				const rows = this.run(sql, args, owner);
				this.#assertNotEndedBy();
				return toObjects(rows) as R[];
			},
			transaction: async <U>(inner: (tx: SqlDatabase) => U | Promise<U>) => {
				if (!open) throw new DatabaseError("closed", "The transaction has ended; use c.db");
				this.#assertStillOpen();
				return this.#savepoint(owner, tx, inner);
			},
		};
		let timer: LongTimeout | undefined;
		try {
			this.run("BEGIN IMMEDIATE", [], owner);
			const timeout = new Promise<never>((_, reject) => {
				timer = setLongTimeout(
					() =>
						reject(
							new DatabaseError(
								"transaction_timeout",
								`The transaction stayed open longer than ${this.#limits.transactionTimeout} ms and was rolled back`,
							),
						),
					this.#limits.transactionTimeout,
				);
			});
			const result = await Promise.race([Promise.resolve().then(() => fn(tx)), timeout]);
			open = false;
			this.#assertStillOpen();
			this.run("COMMIT", [], owner);
			return result;
		} catch (error) {
			open = false;
			if (!this.#closed && !this.#connection.autocommit) {
				try {
					this.run("ROLLBACK", [], owner);
				} catch (rollbackError) {
					this.#log.error("rollback failed", { error: rollbackError });
				}
			}
			throw error;
		} finally {
			timer?.clear();
			this.#release(owner);
		}
	}

	async #savepoint<T>(
		owner: symbol,
		tx: SqlDatabase,
		fn: (tx: SqlDatabase) => T | Promise<T>,
	): Promise<T> {
		const name = `tenon_sp_${Math.random().toString(36).slice(2, 10)}`;
		this.run(`SAVEPOINT ${name}`, [], owner);
		try {
			const result = await fn(tx);
			this.#assertStillOpen();
			this.run(`RELEASE ${name}`, [], owner);
			return result;
		} catch (error) {
			if (!this.#connection.autocommit) {
				this.run(`ROLLBACK TO ${name}`, [], owner);
				this.run(`RELEASE ${name}`, [], owner);
			}
			throw error;
		}
	}

	// ---- The lock: a transaction holds the database; other calls wait ---------------

	/** Resolves when the transaction holding the database ends (or fails with `busy` after a while). */
	#released(): Promise<void> {
		if (this.#closed) {
			return Promise.reject(
				new DatabaseError("closed", "The database is closed (the actor stopped)"),
			);
		}
		return new Promise<void>((resolve, reject) => {
			const waiter: LockWaiter = {
				resolve,
				reject,
				timer: setLongTimeout(() => {
					this.#waiters = this.#waiters.filter((w) => w !== waiter);
					reject(
						new DatabaseError(
							"busy",
							"The database stayed in a transaction too long. Inside transaction(), run SQL through its tx argument: c.db waits for the transaction to end",
						),
					);
				}, this.#limits.transactionTimeout),
			};
			this.#waiters.push(waiter);
		});
	}

	#release(owner: symbol): void {
		if (this.#owner !== owner) return;
		this.#owner = undefined;
		const waiters = this.#waiters;
		this.#waiters = [];
		for (const waiter of waiters) {
			waiter.timer.clear();
			waiter.resolve();
		}
	}

	// ---- Running SQL ---------------------------------------------------------------------

	/**
	 * Runs SQL synchronously. `owner` is the transaction it belongs to
	 * (undefined: none). Outside a transaction, the changes go to the actor's
	 * writes as soon as the statement ends.
	 */
	run(sql: string, args: readonly unknown[], owner: symbol | undefined): ResultSet {
		return traceSql(sql, () => this.#scope(() => this.#run(sql, args, owner)));
	}

	#run(sql: string, args: readonly unknown[], owner: symbol | undefined): ResultSet {
		if (this.#closed)
			throw new DatabaseError("closed", "The database is closed (the actor stopped)");
		if (typeof sql !== "string") throw new DatabaseError("sql_error", "SQL must be a string");
		statementTimeout = this.#limits.statementTimeout;
		statementDeadline = undefined;
		const heapGrowth = this.#limits.maxHeapGrowth;
		if (heapGrowth !== undefined) beginStatementHeap(this.#module.HEAPU8.byteLength, heapGrowth);
		let rows: ResultSet = { columns: [], rows: [] };
		const wasmStack = this.#module.wasmStack;
		const stackPointer = wasmStack?.save();
		try {
			const cached = this.#cache.get(sql);
			if (cached) {
				rows = this.#runStatement(cached, args, true, stackPointer);
			} else {
				const { statement, hasMore } = this.#connection.prepareFirst(sql);
				if (statement !== undefined && !hasMore) {
					// A single statement: keep it prepared for the next call.
					this.#remember(sql, statement);
					rows = this.#runStatement(statement, args, true, stackPointer);
				} else {
					statement?.finalize();
					if (args.length > 0) {
						throw new DatabaseError(
							"sql_error",
							"Parameters can only be bound to a single statement, not a script of several",
						);
					}
					this.#connection.eachStatement(sql, (each) => {
						const result = this.#runStatement(each, args, false, stackPointer);
						if (result.columns.length > 0) rows = result;
					});
				}
			}
		} catch (error) {
			// A stack overflow or trap inside the module left its stack pointer short (wasm-stack.ts).
			if (stackPointer !== undefined) wasmStack?.restore(stackPointer);
			throw databaseErrorOf(error, this.#limits);
		} finally {
			statementTimeout = Number.POSITIVE_INFINITY;
			statementDeadline = undefined;
			endStatementHeap();
			if (owner === undefined || (owner === this.#syncOwner && this.#syncDepth === 0)) {
				this.#afterStatement();
			} else if (this.#connection.autocommit) {
				this.#file.flush(this.#sink);
			}
		}
		return rows;
	}

	#remember(sql: string, statement: Statement): void {
		if (this.#cache.size >= STATEMENT_CACHE_SIZE) {
			const [oldest] = this.#cache;
			if (oldest) {
				this.#cache.delete(oldest[0]);
				oldest[1].finalize();
			}
		}
		this.#cache.set(sql, statement);
	}

	/** Runs a prepared statement; `stackPointer`: the module's when the run began (wasm-stack.ts). */
	#runStatement(
		statement: Statement,
		args: readonly unknown[],
		reusable: boolean,
		stackPointer: number | undefined,
	): ResultSet {
		const rows: SqlValue[][] = [];
		const max = this.#limits.maxSize;
		try {
			// A statement is new, or was reset when its last run ended (below): ready to bind. In
			// the `try`: a bind that fails past a long value is reset too, letting the value go (a
			// cached statement kept a 60 MiB blob after a later parameter was refused: a review).
			if (args.length > 0 || statement.parameterCount > 0) {
				statement.bind(isNamed(args) ? args[0] : args);
			}
			while (statement.step()) {
				rows.push(statement.values());
				if (statement.bytesRead > max) throw resultTooBig(max);
			}
		} catch (error) {
			// Before the reset below calls into the module again (wasm-stack.ts).
			if (stackPointer !== undefined) this.#module.wasmStack?.restore(stackPointer);
			throw error;
		} finally {
			if (reusable) statement.reset();
		}
		return { columns: statement.columns, rows };
	}

	// ---- Synchronous access (the Drizzle driver) ------------------------------------------

	/** Runs SQL now, outside any transaction. Throws `busy` if an async transaction is open. */
	runSync(sql: string, args: readonly unknown[]): ResultSet {
		this.#assertNoAsyncTransaction();
		if (this.#syncDepth === 0) return this.run(sql, args, this.#syncOwner);
		this.#assertStillOpen();
		const rows = this.run(sql, args, this.#syncOwner);
		this.#assertNotEndedBy();
		return rows;
	}

	/**
	 * Runs `fn` synchronously in a transaction (nested calls use savepoints).
	 * A function returning a promise is refused: it would commit before its awaits.
	 */
	transactionSync<T>(fn: () => T): T {
		this.#assertNoAsyncTransaction();
		const depth = this.#syncDepth;
		const savepoint = `tenon_sync_${depth}`;
		const owner = this.#syncOwner;
		this.#syncDepth = depth + 1;
		try {
			// Nested in a transaction SQLite rolled back, a SAVEPOINT began a new one (kept).
			if (depth > 0) this.#assertStillOpen();
			this.run(depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${savepoint}`, [], owner);
		} catch (error) {
			this.#syncDepth = depth;
			throw error;
		}
		let result: T;
		try {
			result = fn();
			if (result !== null && typeof (result as { then?: unknown })?.then === "function") {
				throw new DatabaseError(
					"sql_error",
					"Drizzle transactions on an actor database are synchronous: pass a function that does not return a promise",
				);
			}
		} catch (error) {
			try {
				if (!this.#closed && !this.#connection.autocommit) {
					this.run(depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}`, [], owner);
					if (depth > 0) this.run(`RELEASE ${savepoint}`, [], owner);
				}
			} finally {
				this.#syncDepth = depth;
			}
			throw error;
		}
		try {
			this.#assertStillOpen();
			this.run(depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`, [], owner);
		} catch (error) {
			// A COMMIT that failed (a deferred foreign key) left the transaction open: every
			// later statement of the actor failed with transaction_open (a review).
			if (!this.#closed && !this.#connection.autocommit) {
				try {
					this.run(depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}`, [], owner);
					if (depth > 0) this.run(`RELEASE ${savepoint}`, [], owner);
				} catch (rollbackError) {
					this.#log.error("rollback failed", { error: rollbackError });
				}
			}
			throw error;
		} finally {
			this.#syncDepth = depth;
		}
		return result;
	}

	/**
	 * Throws `transaction_aborted` when SQLite rolled the open transaction
	 * back on its own (a `full` or interrupted write can): the statements
	 * after it ran one by one, outside any transaction, and each became
	 * durable, while the caller, having caught the error, thought it still
	 * in the transaction (a review, 2026-11-26).
	 */
	#assertStillOpen(): void {
		if (!this.#closed && this.#connection.autocommit)
			throw new DatabaseError(
				"transaction_aborted",
				"SQLite rolled the transaction back after an earlier error (full, statement_timeout); nothing of it was kept",
			);
	}

	/**
	 * After a caller's statement inside a transaction: throws when it ended the
	 * transaction itself (COMMIT, END, ROLLBACK). What a COMMIT committed is
	 * kept; the error says so rather than that nothing was kept.
	 */
	#assertNotEndedBy(): void {
		if (!this.#closed && this.#connection.autocommit)
			throw new DatabaseError(
				"sql_error",
				"A statement ended the transaction (COMMIT, END or ROLLBACK): what it committed is kept. A transaction ends when its function returns",
			);
	}

	#assertNoAsyncTransaction(): void {
		if (this.#owner !== undefined) {
			throw new DatabaseError(
				"busy",
				"An async c.db.transaction() is open; synchronous queries cannot wait for it",
			);
		}
	}

	/** Outside a transaction: commit what the statement wrote, and refuse a transaction left open. */
	#afterStatement(): void {
		if (!this.#connection.autocommit) {
			this.#rollbackQuietly();
			this.#file.flush(this.#sink);
			throw new DatabaseError(
				"transaction_open",
				"A transaction was left open (BEGIN without COMMIT) and was rolled back. Use c.db.transaction(async (tx) => ...): other actions' statements would otherwise join it",
			);
		}
		this.#file.flush(this.#sink);
	}

	#rollbackQuietly(): void {
		try {
			this.#connection.eachStatement("ROLLBACK", (statement) => statement.step());
		} catch {}
	}

	/** Closes the connection (the actor stopped). Pending callers get `closed`. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		for (const statement of this.#cache.values()) statement.finalize();
		this.#cache.clear();
		for (const waiter of this.#waiters) {
			waiter.timer.clear();
			waiter.reject(new DatabaseError("closed", "The database is closed (the actor stopped)"));
		}
		this.#waiters = [];
		this.#connection.close();
		this.#onClose();
		this.#module._sqlite3_free(this.#progressKey);
	}
}
