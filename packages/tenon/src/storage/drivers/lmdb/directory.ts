import { cborDecode, cborEncode } from "../../../protocol/encoding.js";
import { errors } from "../../../protocol/errors.js";
import type {
	ActorDirectory,
	ActorRecord,
	CreateActorRequest,
	CreateActorResult,
} from "../../interfaces.js";
import { asPlainBytes, type LmdbEnv } from "./env.js";
import { LMDB_MAX_KEY } from "./keys.js";

const encoder = new TextEncoder();

/**
 * Binary index key for `(namespace, name, key)`: every part length-prefixed,
 * so no choice of key components can collide with another (unlike separator
 * joins) and the size stays under LMDB's 1978-byte key limit.
 */
function directoryKey(namespace: string, name: string, key: readonly string[]): Uint8Array {
	const parts = [namespace, name, ...key].map((part) => encoder.encode(part));
	let length = 0;
	for (const part of parts) length += 2 + part.length;
	// Only with limits raised past what LMDB stores (the defaults fit): a
	// stable 400 for that key, not an internal error.
	if (length > LMDB_MAX_KEY)
		throw errors.invalidKey(
			`the key takes ${length} bytes in the LMDB directory (limit ${LMDB_MAX_KEY}); lower maxKeyBytes`,
		);
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out[offset] = part.length >> 8;
		out[offset + 1] = part.length & 0xff;
		out.set(part, offset + 2);
		offset += 2 + part.length;
	}
	return out;
}

function encodeRecord(record: ActorRecord): Uint8Array {
	return cborEncode(record);
}

function decodeRecord(bytes: Uint8Array): ActorRecord {
	return cborDecode(bytes) as ActorRecord;
}

/** LMDB {@link ActorDirectory}. Creation runs in a write transaction, so it is unique across processes too. */
export class LmdbDirectory implements ActorDirectory {
	readonly #env: LmdbEnv;

	constructor(env: LmdbEnv) {
		this.#env = env;
	}

	#recordById(actorId: string): ActorRecord | undefined {
		const bytes = this.#env.actors.get(actorId);
		return bytes === undefined ? undefined : decodeRecord(bytes);
	}

	async create(request: CreateActorRequest): Promise<CreateActorResult> {
		const indexKey = directoryKey(request.namespace, request.name, request.key);
		const env = this.#env;
		const result = await env.root.transaction((): CreateActorResult => {
			const existingId = env.keys.get(indexKey);
			const existing = existingId === undefined ? undefined : this.#recordById(existingId);
			if (existing) return { actor: existing, created: false };
			const record: ActorRecord = {
				actorId: request.actorId,
				namespace: request.namespace,
				name: request.name,
				key: [...request.key],
				createdAt: request.createdAt,
			};
			env.keys.putSync(indexKey, record.actorId);
			env.actors.putSync(record.actorId, encodeRecord(record));
			env.names.putSync([request.namespace, request.name, record.actorId], "");
			if (request.input !== undefined) env.inputs.putSync(record.actorId, request.input);
			return { actor: record, created: true };
		});
		if (result.created) await env.root.flushed;
		return result;
	}

	async getByKey(
		namespace: string,
		name: string,
		key: readonly string[],
	): Promise<ActorRecord | undefined> {
		const actorId = this.#env.keys.get(directoryKey(namespace, name, key));
		return actorId === undefined ? undefined : this.#recordById(actorId);
	}

	async getById(actorId: string): Promise<ActorRecord | undefined> {
		return this.#recordById(actorId);
	}

	async list(
		namespace: string,
		name: string,
		options: { limit?: number; afterActorId?: string } = {},
	): Promise<ActorRecord[]> {
		const range = this.#env.names.getKeys({
			start: [namespace, name, options.afterActorId ?? ""],
			end: [namespace, name, "\uffff"],
		});
		const out: ActorRecord[] = [];
		for (const key of range) {
			const actorId = key[2] as string;
			if (actorId === options.afterActorId) continue;
			const record = this.#recordById(actorId);
			if (record && record.destroyedAt === undefined) out.push(record);
			if (options.limit !== undefined && out.length >= options.limit) break;
		}
		return out;
	}

	async readInput(actorId: string): Promise<Uint8Array | undefined> {
		return asPlainBytes(this.#env.inputs.get(actorId));
	}

	async markDestroyed(actorId: string, destroyedAt: number): Promise<void> {
		const env = this.#env;
		const changed = await env.root.transaction(() => {
			const record = this.#recordById(actorId);
			if (!record || record.destroyedAt !== undefined) return false;
			record.destroyedAt = destroyedAt;
			env.actors.putSync(actorId, encodeRecord(record));
			const indexKey = directoryKey(record.namespace, record.name, record.key);
			if (env.keys.get(indexKey) === actorId) env.keys.removeSync(indexKey);
			env.names.removeSync([record.namespace, record.name, actorId]);
			env.inputs.removeSync(actorId);
			return true;
		});
		if (changed) await env.root.flushed;
	}

	async removeDestroyed(actorId: string): Promise<void> {
		const env = this.#env;
		const removed = await env.root.transaction(() => {
			if (this.#recordById(actorId)?.destroyedAt === undefined) return false;
			env.actors.removeSync(actorId);
			return true;
		});
		if (removed) await env.root.flushed;
	}
}
