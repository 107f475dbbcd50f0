import { join, resolve } from "node:path";
import { definedOnly } from "../../../common/defined.js";
import type { Logger } from "../../../common/logger.js";
import { BootFencePlacement } from "../../boot-fence-placement.js";
import type { StorageDriver, StorageHandles } from "../../interfaces.js";
import { LmdbAlarmIndex } from "./alarms.js";
import { LmdbDirectory } from "./directory.js";
import { lockDataDir, openLmdbEnv } from "./env.js";
import { type OpenLogFile, openBufferedLogFile, openNodeLogFile } from "./log-file.js";
import {
	type CommitLogLimits,
	DEFAULT_COMMIT_LOG_LIMITS,
	LogWriter,
	recoverCommitLog,
} from "./log-writer.js";
import { OverlayView } from "./overlay-view.js";
import { LmdbStore } from "./store.js";
import { TransactionWriter } from "./transaction-writer.js";

/** Options for {@link lmdbDriver}. */
export interface LmdbDriverOptions {
	/** Data directory. Defaults to `TENON_DATA_DIR` or `./.tenon`. */
	path?: string;
	/**
	 * How long to wait for the data directory's lock when another process
	 * holds it (e.g. one still exiting after a crash), in ms. Default 5 000.
	 */
	lockWaitMs?: number | undefined;
	/**
	 * Commit actor writes through a commit log (the default): one `write`
	 * and one `fdatasync` per commit group, checkpointed into LMDB in the
	 * background. `false` commits each group as an LMDB transaction with
	 * LMDB's own sync (two device flushes). An object sets the log's limits
	 * (see docs/durability.md). Either way a reply waits until its writes
	 * survive a crash and a power loss, and a log left by an earlier run is
	 * replayed at open.
	 */
	commitLog?: boolean | Partial<CommitLogOptions>;
}

/** The commit log's limits, and how its records are written. */
export interface CommitLogOptions extends CommitLogLimits {
	/**
	 * Write records with `O_DIRECT`, past the page cache, where the file
	 * system allows it (default `true`; else, and with `false`, through the
	 * page cache). The `fdatasync` after each record is the same either way.
	 */
	directWrites: boolean;
}

/** The data directory used when none is configured. */
export function defaultDataDir(): string {
	return resolve(process.env.TENON_DATA_DIR ?? ".tenon");
}

/** The commit log's file in a data directory. */
export function commitLogPath(path: string): string {
	return join(path, "commit.log");
}

/**
 * The embedded, durable default driver: one LMDB file (and its commit log)
 * in a data directory. A reply is released only after its writes are synced
 * to disk. The directory is locked to one server process at a time.
 *
 * @example
 * const registry = setup({ use: { counter }, storage: lmdbDriver({ path: "./data" }) });
 */
export function lmdbDriver(options: LmdbDriverOptions = {}): StorageDriver {
	return {
		name: "lmdb",
		async open(context): Promise<StorageHandles> {
			const path = options.path === undefined ? defaultDataDir() : resolve(options.path);
			const { directWrites = true, ...limits } =
				typeof options.commitLog === "object" ? options.commitLog : {};
			const commitLog =
				options.commitLog === false
					? false
					: { ...DEFAULT_COMMIT_LOG_LIMITS, ...definedOnly(limits) };
			return openLmdbStorage(path, {
				lockWaitMs: options.lockWaitMs,
				commitLog,
				openLogFile: directWrites ? openNodeLogFile : openBufferedLogFile,
				logger: context?.logger,
			});
		},
	};
}

/** How {@link openLmdbStorage} opens a data directory. */
export interface LmdbStorageSettings {
	lockWaitMs?: number | undefined;
	/** The commit log's limits, or `false` for a transaction per commit. */
	commitLog: CommitLogLimits | false;
	/** Opens the log's file (tests put a power-loss simulation here). */
	openLogFile: OpenLogFile;
	logger?: Logger | undefined;
}

/**
 * Opens the LMDB storage in `path`: locks the directory, recovers the commit
 * log, bumps the boot fence. Internal (not exported by the package): tests
 * call it to choose the log's file.
 */
export async function openLmdbStorage(
	path: string,
	settings: LmdbStorageSettings,
): Promise<StorageHandles> {
	const unlock = await lockDataDir(path, settings.lockWaitMs);
	try {
		const env = await openLmdbEnv(path);
		const logPath = commitLogPath(path);
		let writer: LogWriter | TransactionWriter;
		let view: OverlayView;
		if (settings.commitLog === false) {
			// Writes acknowledged by an earlier run in log mode are in the log.
			const file = settings.openLogFile(logPath);
			if (file !== undefined) {
				try {
					recoverCommitLog(env, file);
				} finally {
					file.close();
				}
			}
			writer = new TransactionWriter(env);
			view = new OverlayView(env, () => []);
		} else {
			const file = settings.openLogFile(logPath, settings.commitLog.initialBytes);
			if (file === undefined) throw new Error(`could not create the commit log ${logPath}`);
			let logWriter: LogWriter;
			try {
				logWriter = new LogWriter(env, file, settings.commitLog, settings.logger);
			} catch (error) {
				// A recovery that failed: the file's descriptors go with it.
				file.close();
				throw error;
			}
			writer = logWriter;
			view = logWriter.view;
		}
		// Each start gets a fence above every earlier start's, so a commit
		// from a previous process (were one somehow still running) is rejected.
		const bootFence = await env.root.transaction(() => {
			const next = (env.meta.get("bootFence") ?? 0) + 1;
			env.meta.putSync("bootFence", next);
			return next;
		});
		await env.root.flushed;
		// Once: a second close closed the lock file's descriptor number again, which by then
		// may be another file's.
		let closing: Promise<void> | undefined;
		const close = async () => {
			if (writer instanceof LogWriter) await writer.close();
			await env.root.flushed;
			await env.root.close();
			unlock();
		};
		return {
			directory: new LmdbDirectory(env),
			store: new LmdbStore(view, writer),
			alarms: new LmdbAlarmIndex(view),
			placement: new BootFencePlacement(bootFence),
			async check() {
				if (closing !== undefined) throw new Error("the storage is closed");
				if (writer instanceof LogWriter && writer.refusesCommits())
					throw new Error("the commit log failed, or refuses commits (no room)");
				// LMDB answers a read (a closed or broken environment throws).
				env.meta.get("bootFence");
			},
			close() {
				closing ??= close();
				return closing;
			},
		};
	} catch (error) {
		unlock();
		throw error;
	}
}
