// Undoing the creation of an actor whose first wake failed with nothing stored (see
// FailedCreations.undo), and the undos a shutdown waits for.
import type { Logger } from "../common/logger.js";
import type { ActorRecord, StorageHandles } from "../storage/interfaces.js";
import type { ActorCreation } from "./actor-creation.js";
import { holdingPlace, type Slot } from "./host-slots.js";

export interface FailedCreationDeps {
	readonly slots: Map<string, Slot>;
	readonly storage: StorageHandles;
	readonly logger: Logger;
	readonly creations: ActorCreation;
	/** Marks the actor destroyed and deletes its data, its place held. */
	destroyStored(record: ActorRecord): Promise<void>;
}

export class FailedCreations {
	readonly #deps: FailedCreationDeps;
	/** Undos under way (a shutdown waits for them before storage closes). */
	readonly #running = new Set<Promise<void>>();

	constructor(deps: FailedCreationDeps) {
		this.#deps = deps;
	}

	/**
	 * Undoes a creation whose first wake failed and stored nothing (a `createState` that throws
	 * for its input): the key stayed taken (any client could break any key, 2026-11-29). Once
	 * what the wake sent landed, it takes the actor's place, unless someone woke it meanwhile,
	 * and under it reads the store and destroys: a wake that stored (`onCreate` saved) keeps the
	 * actor (else onCreate runs again). REST creates of the key wait for it (ActorCreation).
	 * Call as the wake fails, while the failed instance (if any) still holds the place.
	 */
	undo(record: ActorRecord): Promise<void> {
		const { slots, storage, logger, creations } = this.#deps;
		const { actorId } = record;
		const failed = slots.get(actorId);
		const undo: Promise<void> = (async () => {
			if (failed !== undefined && "instance" in failed) await failed.instance.stopped;
			if (slots.has(actorId)) return;
			await holdingPlace(slots, actorId, async () => {
				const stored = await storage.store.list(actorId, {}, { limit: 1 });
				if (stored.length === 0) await this.#deps.destroyStored(record);
			});
		})().catch((error: unknown) =>
			logger.warn("could not undo a creation whose wake failed", { actorId, error }),
		);
		this.#running.add(undo);
		void undo.finally(() => this.#running.delete(undo));
		return creations.undoing(actorId, undo);
	}

	/** Settles once the undos under way have. */
	async settled(): Promise<void> {
		await Promise.all(this.#running);
	}
}
