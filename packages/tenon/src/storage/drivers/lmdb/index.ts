import { resolve } from "node:path";
import { BootFencePlacement } from "../../boot-fence-placement.js";
import type { StorageDriver, StorageHandles } from "../../interfaces.js";
import { LmdbAlarmIndex } from "./alarms.js";
import { LmdbDirectory } from "./directory.js";
import { lockDataDir, openLmdbEnv } from "./env.js";
import { LmdbStore } from "./store.js";

/** Options for {@link lmdbDriver}. */
export interface LmdbDriverOptions {
	/** Data directory. Defaults to `TENON_DATA_DIR` or `./.tenon`. */
	path?: string;
	/**
	 * How long to wait for the data directory's lock when another process
	 * holds it (e.g. one still exiting after a crash), in ms. Default 5 000.
	 */
	lockWaitMs?: number;
}

/** The data directory used when none is configured. */
export function defaultDataDir(): string {
	return resolve(process.env.TENON_DATA_DIR ?? ".tenon");
}

/**
 * The embedded, durable default driver: one LMDB file in a data directory.
 * A reply is released only after its writes are flushed to disk. The directory
 * is locked to one server process at a time.
 *
 * @example
 * const registry = setup({ use: { counter }, storage: lmdbDriver({ path: "./data" }) });
 */
export function lmdbDriver(options: LmdbDriverOptions = {}): StorageDriver {
	return {
		name: "lmdb",
		async open(): Promise<StorageHandles> {
			const path = options.path === undefined ? defaultDataDir() : resolve(options.path);
			const unlock = await lockDataDir(path, options.lockWaitMs);
			try {
				const env = await openLmdbEnv(path);
				// Each start gets a fence above every earlier start's, so a commit
				// from a previous process (were one somehow still running) is rejected.
				const bootFence = await env.root.transaction(() => {
					const next = (env.meta.get("bootFence") ?? 0) + 1;
					env.meta.putSync("bootFence", next);
					return next;
				});
				await env.root.flushed;
				return {
					directory: new LmdbDirectory(env),
					store: new LmdbStore(env),
					alarms: new LmdbAlarmIndex(env),
					placement: new BootFencePlacement(bootFence),
					async close() {
						await env.root.flushed;
						await env.root.close();
						unlock();
					},
				};
			} catch (error) {
				unlock();
				throw error;
			}
		},
	};
}
