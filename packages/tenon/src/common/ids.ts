import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Random bytes drawn 4 KiB at a time, each byte used once: a stateless HTTP
 * action makes a connection id per call, and a `randomBytes` call per id
 * (a call into OpenSSL, an allocation) was one of its larger costs.
 * `crypto.randomUUID` caches its entropy the same way.
 */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolUsed = POOL_BYTES;

/** Where in `pool` the next `length` (<= POOL_BYTES) unused random bytes start. */
function takeRandom(length: number): number {
	if (poolUsed + length > POOL_BYTES) {
		randomFillSync(pool);
		poolUsed = 0;
	}
	const at = poolUsed;
	poolUsed += length;
	return at;
}

/**
 * A random lowercase base-36 string of `length` characters. Used for actor and
 * connection ids: unguessable enough to not collide, short enough to log.
 */
export function randomId(length: number): string {
	if (!Number.isInteger(length) || length < 1 || length > 256)
		throw new RangeError(`an id has 1 to 256 characters, not ${length}`);
	const at = takeRandom(length);
	const codes = new Array<number>(length);
	for (let i = 0; i < length; i++) {
		// 252 is the largest multiple of 36 below 256; the tiny modulo bias of
		// plain `% 36` is irrelevant for ids, so we accept it for speed.
		codes[i] = ALPHABET.charCodeAt((pool[at + i] ?? 0) % 36);
	}
	// One flat string: appending a character at a time makes a rope of cons
	// strings past 13 characters, and every awake actor keeps its id.
	return String.fromCharCode(...codes);
}

/** Length of every actor id. Fixed so storage drivers can prefix keys by id. */
export const ACTOR_ID_LENGTH = 16;

/** A fresh actor id. */
export function newActorId(): string {
	return randomId(ACTOR_ID_LENGTH);
}

/** True when `value` has the shape of an actor id. */
export function isActorId(value: string): boolean {
	return value.length === ACTOR_ID_LENGTH && /^[0-9a-z]+$/.test(value);
}

/**
 * The number a sequence id (a timer's, a dead letter's) names: its text exactly as it was
 * returned, or the number itself (an app that kept it as one). `Number()` took "01", "0x2",
 * " 1" and "2e0" as ids 1 and 2 (an attacker probe, 2026-11-27). Undefined for anything else.
 */
export function sequenceId(id: unknown): number | undefined {
	if (typeof id === "number") return Number.isSafeInteger(id) && id >= 0 ? id : undefined;
	if (typeof id !== "string" || !/^(?:0|[1-9]\d{0,14})$/.test(id)) return undefined;
	return Number(id);
}
