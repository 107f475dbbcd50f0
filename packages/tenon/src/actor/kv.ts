/** A KV key: text (UTF-8) or bytes. */
export type KvKey = string | Uint8Array;

/** A KV value: text (stored as UTF-8) or bytes. */
export type KvValue = string | Uint8Array | ArrayBuffer;

/** How to decode keys or values read back: `text` (default) or `binary`. */
export type KvEncoding = "text" | "binary";

/** The decoded form for a {@link KvEncoding}. */
export type KvDecoded<T extends KvEncoding> = T extends "binary" ? Uint8Array : string;

/** Options of {@link ActorKv.list} and {@link ActorKv.listRange}. */
export interface KvListOptions<K extends KvEncoding = "text", V extends KvEncoding = "text"> {
	/** Decode keys as text (default) or bytes. */
	keyType?: K | undefined;
	/** Decode values as text (default) or bytes. */
	type?: V | undefined;
	limit?: number | undefined;
	reverse?: boolean | undefined;
}

/**
 * The actor's own key/value store (`c.kv`), saved with the actor's state in
 * the same commit. Keys up to 2 KiB, values up to 128 KiB.
 *
 * @example
 * await c.kv.put(`greeting:${userId}`, "hello");
 * const text = await c.kv.get(`greeting:${userId}`);            // string | null
 * const bytes = await c.kv.get("avatar", { type: "binary" });   // Uint8Array | null
 */
export interface ActorKv {
	get<V extends KvEncoding = "text">(
		key: KvKey,
		options?: { type?: V },
	): Promise<KvDecoded<V> | null>;
	getBatch<V extends KvEncoding = "text">(
		keys: readonly KvKey[],
		options?: { type?: V },
	): Promise<(KvDecoded<V> | null)[]>;
	put(key: KvKey, value: KvValue): Promise<void>;
	putBatch(entries: readonly (readonly [KvKey, KvValue])[]): Promise<void>;
	delete(key: KvKey): Promise<void>;
	deleteBatch(keys: readonly KvKey[]): Promise<void>;
	/** Entries whose key starts with `prefix`, in key order, with the prefix removed from keys. */
	list<K extends KvEncoding = "text", V extends KvEncoding = "text">(
		prefix: KvKey,
		options?: KvListOptions<K, V>,
	): Promise<[KvDecoded<K>, KvDecoded<V>][]>;
	/** Entries with `start <= key < end`, in key order (keys as stored). */
	listRange<K extends KvEncoding = "text", V extends KvEncoding = "text">(
		start: KvKey,
		end: KvKey,
		options?: KvListOptions<K, V>,
	): Promise<[KvDecoded<K>, KvDecoded<V>][]>;
	/** Deletes every key with `start <= key < end`. */
	deleteRange(start: KvKey, end: KvKey): Promise<void>;
}
