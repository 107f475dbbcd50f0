import type { Placement } from "./interfaces.js";

/**
 * Placement for single-process drivers (memory, lmdb): the process owns every
 * actor, and each start of the driver hands out one fence above every earlier
 * start's, so writes from a previous start are rejected by the store.
 */
export class BootFencePlacement implements Placement {
	readonly #fence: number;

	constructor(fence: number) {
		this.#fence = fence;
	}

	async acquire(): Promise<number> {
		return this.#fence;
	}

	async release(): Promise<void> {}
}
