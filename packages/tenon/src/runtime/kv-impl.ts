import type { ActorKv, KvDecoded, KvEncoding, KvKey, KvListOptions, KvValue } from "../actor/kv.js";
import { ActorError } from "../protocol/errors.js";
import { AREA } from "../storage/actor-keys.js";
import { prefixEnd } from "../storage/bytes.js";
import type { PendingWrites } from "./pending-writes.js";

/** KV limits (PROTOCOL.md). */
export const KV_MAX_KEY_BYTES = 2048;
export const KV_MAX_VALUE_BYTES = 128 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const AREA_PREFIX = Uint8Array.of(AREA.KV);

// A string with a lone surrogate has no UTF-8 form: encoded, it would become
// U+FFFD, so "\ud800" and "\ufffd" would name one key, and a value would read
// back changed. Both are refused.
function keyBytes(key: KvKey): Uint8Array {
	if (typeof key === "string") {
		if (!key.isWellFormed())
			throw new ActorError("kv", "invalid_key", "A KV key string must not hold a lone surrogate");
		return encoder.encode(key);
	}
	if (key instanceof Uint8Array) return key;
	throw new ActorError("kv", "invalid_key", "KV keys must be strings or Uint8Arrays");
}

function checkSize(bytes: Uint8Array, limit: number, what: "key" | "value"): void {
	if (bytes.byteLength <= limit) return;
	throw new ActorError(
		"kv",
		`${what}_too_long`,
		`KV ${what} is ${bytes.byteLength} bytes (limit ${limit})`,
		{ limit },
	);
}

function checkedKey(key: KvKey): Uint8Array {
	const bytes = keyBytes(key);
	checkSize(bytes, KV_MAX_KEY_BYTES, "key");
	return bytes;
}

function valueBytes(value: KvValue): Uint8Array {
	let bytes: Uint8Array;
	if (typeof value === "string") {
		if (!value.isWellFormed())
			throw new ActorError(
				"kv",
				"invalid_value",
				"A KV value string must not hold a lone surrogate",
			);
		bytes = encoder.encode(value);
	}
	// A copy of its own (a Buffer's `slice` would be a view the caller can still change).
	else if (value instanceof Uint8Array) bytes = new Uint8Array(value);
	else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value.slice(0));
	else
		throw new ActorError(
			"kv",
			"invalid_value",
			"KV values must be strings, Uint8Arrays or ArrayBuffers",
		);
	checkSize(bytes, KV_MAX_VALUE_BYTES, "value");
	return bytes;
}

/**
 * A batch's keys or entries, checked to be an array (entries: of `[key, value]` pairs). An app
 * that passed a client's value on got `core/internal_error` and a TypeError in its log.
 */
function batch<T>(items: readonly T[], entries = false): readonly T[] {
	const what = entries ? "KV batch entries" : "KV batch keys";
	if (!Array.isArray(items)) throw new ActorError("kv", "invalid_key", `${what} must be an array`);
	if (entries && !items.every((entry) => Array.isArray(entry) && entry.length === 2))
		throw new ActorError("kv", "invalid_key", `${what} must be [key, value] pairs`);
	return items;
}

function storeKey(key: Uint8Array): Uint8Array {
	const out = new Uint8Array(key.byteLength + 1);
	out[0] = AREA.KV;
	out.set(key, 1);
	return out;
}

function decode<T extends KvEncoding>(bytes: Uint8Array, as: T | undefined): KvDecoded<T> {
	return (as === "binary" ? new Uint8Array(bytes) : decoder.decode(bytes)) as KvDecoded<T>;
}

/** `c.kv` over the actor's buffered writes (area 0x03 of its store). */
export class KvImpl implements ActorKv {
	readonly #writes: PendingWrites;

	constructor(writes: PendingWrites) {
		this.#writes = writes;
	}

	async get<V extends KvEncoding = "text">(
		key: KvKey,
		options?: { type?: V },
	): Promise<KvDecoded<V> | null> {
		const [value] = await this.#writes.get([storeKey(checkedKey(key))]);
		return value === undefined ? null : decode(value, options?.type);
	}

	async getBatch<V extends KvEncoding = "text">(
		keys: readonly KvKey[],
		options?: { type?: V },
	): Promise<(KvDecoded<V> | null)[]> {
		const values = await this.#writes.get(batch(keys).map((key) => storeKey(checkedKey(key))));
		return values.map((value) => (value === undefined ? null : decode(value, options?.type)));
	}

	async put(key: KvKey, value: KvValue): Promise<void> {
		this.#writes.put(storeKey(checkedKey(key)), valueBytes(value));
	}

	async putBatch(entries: readonly (readonly [KvKey, KvValue])[]): Promise<void> {
		// Validate everything before writing anything.
		const prepared = batch(entries, true).map(
			([key, value]) => [storeKey(checkedKey(key)), valueBytes(value)] as const,
		);
		for (const [key, value] of prepared) this.#writes.put(key, value);
	}

	async delete(key: KvKey): Promise<void> {
		this.#writes.delete(storeKey(checkedKey(key)));
	}

	async deleteBatch(keys: readonly KvKey[]): Promise<void> {
		const prepared = batch(keys).map((key) => storeKey(checkedKey(key)));
		for (const key of prepared) this.#writes.delete(key);
	}

	async list<K extends KvEncoding = "text", V extends KvEncoding = "text">(
		prefix: KvKey,
		options: KvListOptions<K, V> = {},
	): Promise<[KvDecoded<K>, KvDecoded<V>][]> {
		const start = storeKey(checkedKey(prefix));
		const end = prefixEnd(start) ?? prefixEnd(AREA_PREFIX);
		const strip = start.byteLength;
		const entries = await this.#writes.list(
			{ start, ...(end ? { end } : {}) },
			this.#listOptions(options),
		);
		return entries.map(([key, value]) => [
			decode(key.subarray(strip), options?.keyType),
			decode(value, options?.type),
		]);
	}

	async listRange<K extends KvEncoding = "text", V extends KvEncoding = "text">(
		start: KvKey,
		end: KvKey,
		options: KvListOptions<K, V> = {},
	): Promise<[KvDecoded<K>, KvDecoded<V>][]> {
		const entries = await this.#writes.list(
			{ start: storeKey(checkedKey(start)), end: storeKey(checkedKey(end)) },
			this.#listOptions(options),
		);
		return entries.map(([key, value]) => [
			decode(key.subarray(1), options?.keyType),
			decode(value, options?.type),
		]);
	}

	async deleteRange(start: KvKey, end: KvKey): Promise<void> {
		this.#writes.deleteRange({
			start: storeKey(checkedKey(start)),
			end: storeKey(checkedKey(end)),
		});
	}

	/** The store's list options; `options` as a caller passed it on (null from JSON, say). */
	#listOptions(options: KvListOptions<KvEncoding, KvEncoding> | null | undefined): {
		limit?: number;
		reverse?: boolean;
	} {
		const limit = options?.limit;
		// Unchecked, a negative or fractional limit gave odd results, and PostgreSQL refused
		// it as core/internal_error (a review, 2026-11-26).
		if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0))
			throw new ActorError(
				"kv",
				"invalid_limit",
				"A KV list limit must be a whole number, 0 or more",
			);
		return {
			...(limit === undefined ? {} : { limit }),
			...(options?.reverse ? { reverse: true } : {}),
		};
	}
}
