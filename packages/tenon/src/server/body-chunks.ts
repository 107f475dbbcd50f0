import { concatBytes } from "../protocol/bytes.js";

/** Chunks in a run before the run is looked at (and merged when its chunks are small). */
const RUN_CHUNKS = 256;
/** A run under this many bytes (1 KiB a chunk on average) is merged into one part. */
const SMALL_RUN_BYTES = RUN_CHUNKS * 1024;

/**
 * The chunks of a request body being read whole, held in few parts. A client
 * chooses how many chunks its body arrives in (chunked encoding with one byte
 * per chunk), and each chunk held as it came costs an object of about 200
 * bytes of heap, and keeps the socket read it is a view of: an attacker
 * probe's body of 2 MB in 2,000,000 chunks took 434 MB of heap, so a body
 * within the 20 MiB limit could take gigabytes and end the process. Every
 * run of 256 chunks that holds under 256 KiB is copied into one part, so a
 * body holds at most about one part per 256 bytes plus one run.
 */
export class BodyChunks {
	readonly #parts: Uint8Array[] = [];
	/** Index in #parts of the run being gathered. */
	#runStart = 0;
	#runBytes = 0;
	/** Bytes added so far. */
	byteLength = 0;

	add(chunk: Uint8Array): void {
		const parts = this.#parts;
		parts.push(chunk);
		this.byteLength += chunk.byteLength;
		this.#runBytes += chunk.byteLength;
		if (parts.length - this.#runStart < RUN_CHUNKS) return;
		if (this.#runBytes < SMALL_RUN_BYTES) {
			const merged = concatBytes(parts.slice(this.#runStart));
			parts.length = this.#runStart;
			parts.push(merged);
		}
		this.#runStart = parts.length;
		this.#runBytes = 0;
	}

	/**
	 * Everything added, as one array. `copy`: a body that came in one chunk
	 * is copied too (a Node chunk may be a view of a larger buffer, which a
	 * value decoded from it would otherwise keep whole).
	 */
	bytes(copy: boolean): Uint8Array {
		const parts = this.#parts;
		if (parts.length === 0) return new Uint8Array(0);
		if (parts.length > 1) return concatBytes(parts);
		return copy ? new Uint8Array(parts[0] as Uint8Array) : (parts[0] as Uint8Array);
	}
}

/** Chunks any chunked body may arrive in. */
const FREE_CHUNKS = 4_096;
/** Past those, one more chunk per this many bytes of body... */
const BYTES_PER_CHUNK = 16;
/** ...and this many more a second since the body began. */
const CHUNKS_PER_SECOND = 100;

/**
 * How many chunks a body in chunked transfer encoding may arrive in. Node's
 * HTTP parser costs about 5 µs of the event loop per chunk, whatever its
 * size, and works through a whole socket read at once: an attacker probe's
 * body of 1,000,000 one-byte chunks (6 MB on the wire, under every byte
 * limit and one request against the rate limits) held the loop for 5 s, in
 * stalls of up to 400 ms. A body may take 4,096 chunks, one more per 16
 * bytes, and 100 more a second; past that it is refused with
 * `request/body_fragmented` and its connection closed after the answer.
 * Clients streaming rows as they come (NDJSON of 50 bytes a row, a `fetch`
 * with a ReadableStream body) stay within it: a first budget of one chunk
 * per 256 bytes refused them after a few thousand rows (a review). A body
 * with a `content-length` has no budget: its data events are socket reads.
 */
export class ChunkBudget {
	readonly #startedAt = performance.now();
	#chunks = 0;
	#bytes = 0;

	/** A budget for `headers`' body when it is chunked, else undefined. */
	static forBody(headers: { "transfer-encoding"?: string | undefined }): ChunkBudget | undefined {
		const coding = headers["transfer-encoding"];
		return coding !== undefined && /chunked/i.test(coding) ? new ChunkBudget() : undefined;
	}

	/** Counts a chunk of `bytes`; false when the body came in more chunks than allowed. */
	take(bytes: number): boolean {
		this.#bytes += bytes;
		if (++this.#chunks <= FREE_CHUNKS) return true;
		const seconds = (performance.now() - this.#startedAt) / 1_000;
		return (
			this.#chunks <= FREE_CHUNKS + this.#bytes / BYTES_PER_CHUNK + seconds * CHUNKS_PER_SECOND
		);
	}
}
