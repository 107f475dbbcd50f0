import { BootFencePlacement } from "../../boot-fence-placement.js";
import type { StorageDriver, StorageHandles } from "../../interfaces.js";
import { MemoryAlarmIndex } from "./alarms.js";
import { createMemoryDirectoryData, MemoryDirectory } from "./directory.js";
import { createMemoryStoreData, MemoryStore } from "./store.js";

/**
 * The memory storage driver: a real implementation for tests and throwaway
 * development, not a mock. Data lives on the driver object, so opening the same
 * driver again (a "restart" in a test) sees everything committed before.
 *
 * @example
 * const registry = setup({ use: { counter }, storage: memoryDriver() });
 */
export function memoryDriver(): StorageDriver {
	const directoryData = createMemoryDirectoryData();
	const storeData = createMemoryStoreData();
	let opens = 0;
	return {
		name: "memory",
		async open(): Promise<StorageHandles> {
			opens++;
			return {
				directory: new MemoryDirectory(directoryData),
				store: new MemoryStore(storeData),
				alarms: new MemoryAlarmIndex(storeData),
				placement: new BootFencePlacement(opens),
				async close() {},
			};
		},
	};
}
