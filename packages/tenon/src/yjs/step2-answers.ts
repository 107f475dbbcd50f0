import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { TokenBucket } from "../common/token-bucket.js";
import { ActorError } from "../protocol/errors.js";

/** Step 2s kept per version of the document (each different state vector costs a new one). */
const STEP2_MEMO = 8;
const STEP2_MEMO_BYTES = 4 * 1024 * 1024;
/** Step 2s one document makes anew per second at most. */
const STEP2_PER_SECOND = 20;
/**
 * Loop time (ms) making step 2s anew may take: one document's, and all the
 * process's documents' together, per second on average (bursts up to twice
 * that). Each answer walks the whole document for its deleted items (30 to
 * 300 ms for a few MB), and a count alone did not bound the time: twenty
 * read-only connections asking with state vectors of random clocks (each a
 * new answer) kept the loop 99% busy, with stalls of 2.2 s (an attacker
 * probe, 2026-11-27). Past either, `limit/yjs_too_many_syncs` until enough
 * time was regained (`retryAfterMs`); answers kept for the document's
 * version cost nothing and are always given.
 */
const STEP2_MS_PER_SECOND = 250;
const PROCESS_STEP2_MS_PER_SECOND = 400;
/** The process's share (module state: one loop, whatever the servers). */
let processTime: TokenBucket | undefined;

/**
 * The answers (y-protocols step 2) one document gives to clients' step 1s:
 * kept per version of the document, and made anew at a bounded rate.
 */
export class Step2Answers {
	/** Step 2s made at `#version`, by the state vector they answer. */
	#kept = new Map<string, Uint8Array>();
	#version = -1;
	/** Step 2s made anew in the current second (see {@link #checkRate}). */
	#made = 0;
	#windowAt = Number.NEGATIVE_INFINITY;
	/** This document's share of loop time for new answers (made on its first new answer). */
	#time: TokenBucket | undefined;

	/**
	 * Step 2 for a client whose state vector, read by {@link readStateVector},
	 * is `normal`, of `doc` at `version`: reused while the document is
	 * unchanged (new clients all ask with an empty state vector, and a large
	 * answer waiting in the outbox then counts once).
	 */
	answer(doc: Y.Doc, version: number, normal: Map<number, number>): Uint8Array {
		const key = [...normal]
			.sort(([a], [b]) => a - b)
			.map(([client, clock]) => `${client}:${clock}`)
			.join(",");
		if (this.#version !== version) {
			this.#kept.clear();
			this.#version = version;
		}
		const memo = this.#kept.get(key);
		if (memo !== undefined) return memo;
		this.#checkRate();
		const started = performance.now();
		this.#time ??= new TokenBucket(
			{ perSecond: STEP2_MS_PER_SECOND, burst: 2 * STEP2_MS_PER_SECOND },
			started,
		);
		processTime ??= new TokenBucket(
			{ perSecond: PROCESS_STEP2_MS_PER_SECOND, burst: 2 * PROCESS_STEP2_MS_PER_SECOND },
			started,
		);
		const wait = Math.max(this.#time.charge(0, started), processTime.charge(0, started));
		if (wait > 0) throw tooManySyncs(wait);
		const step2 = encoding.createEncoder();
		syncProtocol.writeSyncStep2(step2, doc, Y.encodeStateVector(normal));
		const message = encoding.toUint8Array(step2);
		const ended = performance.now();
		this.#time.charge(ended - started, ended);
		processTime.charge(ended - started, ended);
		// A few kept per version (clients alternating state vectors get them from
		// here), within a few MiB; a larger one is kept alone, as the last one was.
		let bytes = message.byteLength;
		for (const kept of this.#kept.values()) bytes += kept.byteLength;
		for (const [oldest, kept] of this.#kept) {
			if (this.#kept.size < STEP2_MEMO && bytes <= STEP2_MEMO_BYTES) break;
			this.#kept.delete(oldest);
			bytes -= kept.byteLength;
		}
		this.#kept.set(key, message);
		return message;
	}

	/**
	 * Refuses a step 2 that must be made anew past {@link STEP2_PER_SECOND}
	 * a second for this document, whichever connections ask: each walks the
	 * whole document for its deleted items, and a connection's own limit is
	 * multiplied by opening more of them (a review, 2026-11-25). Clients that
	 * open the document together ask alike and share one answer.
	 */
	#checkRate(): void {
		const now = performance.now();
		if (now - this.#windowAt >= 1_000) {
			this.#windowAt = now;
			this.#made = 0;
		}
		if (++this.#made > STEP2_PER_SECOND) throw tooManySyncs(this.#windowAt + 1_000 - now);
	}
}

function tooManySyncs(retryAfterMs: number): ActorError {
	return new ActorError(
		"limit",
		"yjs_too_many_syncs",
		"This document was asked for too often just now; try again in a second",
		{ retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) },
	);
}

/**
 * A client's state vector (a count, then a client id and a clock for each),
 * as it means to `doc`: clients `doc` does not know and zero clocks dropped,
 * clocks capped at `doc`'s, so a client cannot make each request cost a new
 * answer. Throws on a malformed one. Read here, not with `Y.decodeStateVector`,
 * which builds a Map of every client named: 600,000 made-up ids (3.5 MB) took
 * 300 to 600 ms, twice per step 1, and blocked the loop for a second per
 * message from one connection (an attacker probe, 2026-11-26). Unknown ids
 * are skipped as they are read (about 20 ns each).
 */
export function readStateVector(doc: Y.Doc, stateVector: Uint8Array): Map<number, number> {
	const normal = new Map<number, number>();
	const decoder = decoding.createDecoder(stateVector);
	const count = decoding.readVarUint(decoder);
	for (let i = 0; i < count; i++) {
		const client = decoding.readVarUint(decoder);
		const clock = decoding.readVarUint(decoder);
		const known = clock > 0 && doc.store.clients.has(client) ? Y.getState(doc.store, client) : 0;
		if (known > 0) normal.set(client, Math.min(clock, known));
		// A later entry for the same client wins, as in Y.decodeStateVector.
		else normal.delete(client);
	}
	return normal;
}
