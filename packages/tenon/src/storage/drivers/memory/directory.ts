import { serializeKey } from "../../../protocol/keys.js";
import { copyBytes } from "../../bytes.js";
import type {
	ActorDirectory,
	ActorRecord,
	CreateActorRequest,
	CreateActorResult,
} from "../../interfaces.js";

/** The directory's data, kept on the driver so it outlives one open. */
export interface MemoryDirectoryData {
	byKey: Map<string, string>;
	byId: Map<string, ActorRecord>;
	inputs: Map<string, Uint8Array>;
}

export function createMemoryDirectoryData(): MemoryDirectoryData {
	return { byKey: new Map(), byId: new Map(), inputs: new Map() };
}

function indexKey(namespace: string, name: string, key: readonly string[]): string {
	// NUL cannot appear in namespaces or actor names (validated upstream), and
	// the serialized key escapes its own separators, so this join is unambiguous.
	return `${namespace}\u0000${name}\u0000${serializeKey(key)}`;
}

function copyRecord(record: ActorRecord): ActorRecord {
	return { ...record, key: [...record.key] };
}

/** In-memory {@link ActorDirectory}; every method completes synchronously, so creation is unique. */
export class MemoryDirectory implements ActorDirectory {
	readonly #data: MemoryDirectoryData;

	constructor(data: MemoryDirectoryData) {
		this.#data = data;
	}

	async create(request: CreateActorRequest): Promise<CreateActorResult> {
		const index = indexKey(request.namespace, request.name, request.key);
		const existingId = this.#data.byKey.get(index);
		const existing = existingId === undefined ? undefined : this.#data.byId.get(existingId);
		if (existing) return { actor: copyRecord(existing), created: false };
		const record: ActorRecord = {
			actorId: request.actorId,
			namespace: request.namespace,
			name: request.name,
			key: [...request.key],
			createdAt: request.createdAt,
		};
		this.#data.byKey.set(index, record.actorId);
		this.#data.byId.set(record.actorId, record);
		if (request.input !== undefined)
			this.#data.inputs.set(record.actorId, copyBytes(request.input));
		return { actor: copyRecord(record), created: true };
	}

	async getByKey(
		namespace: string,
		name: string,
		key: readonly string[],
	): Promise<ActorRecord | undefined> {
		const actorId = this.#data.byKey.get(indexKey(namespace, name, key));
		const record = actorId === undefined ? undefined : this.#data.byId.get(actorId);
		return record ? copyRecord(record) : undefined;
	}

	async getById(actorId: string): Promise<ActorRecord | undefined> {
		const record = this.#data.byId.get(actorId);
		return record ? copyRecord(record) : undefined;
	}

	async list(
		namespace: string,
		name: string,
		options: { limit?: number; afterActorId?: string } = {},
	): Promise<ActorRecord[]> {
		const out: ActorRecord[] = [];
		for (const record of this.#data.byId.values()) {
			if (
				record.namespace !== namespace ||
				record.name !== name ||
				record.destroyedAt !== undefined
			)
				continue;
			if (options.afterActorId !== undefined && record.actorId <= options.afterActorId) continue;
			out.push(copyRecord(record));
		}
		out.sort((a, b) => (a.actorId < b.actorId ? -1 : a.actorId > b.actorId ? 1 : 0));
		return options.limit === undefined ? out : out.slice(0, options.limit);
	}

	async readInput(actorId: string): Promise<Uint8Array | undefined> {
		const input = this.#data.inputs.get(actorId);
		return input === undefined ? undefined : copyBytes(input);
	}

	async markDestroyed(actorId: string, destroyedAt: number): Promise<void> {
		const record = this.#data.byId.get(actorId);
		if (!record || record.destroyedAt !== undefined) return;
		record.destroyedAt = destroyedAt;
		const index = indexKey(record.namespace, record.name, record.key);
		if (this.#data.byKey.get(index) === actorId) this.#data.byKey.delete(index);
		this.#data.inputs.delete(actorId);
	}

	async removeDestroyed(actorId: string): Promise<void> {
		if (this.#data.byId.get(actorId)?.destroyedAt !== undefined) this.#data.byId.delete(actorId);
	}
}
