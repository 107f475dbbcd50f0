import { checkRate, type Rate, TokenBucket } from "../common/token-bucket.js";

export type { Rate };

/**
 * Token buckets by key (an address): see {@link TokenBucket}. Memory is
 * bounded: at most `maxKeys` buckets are kept, the least recently used go
 * first (a dropped bucket restarts full, which only ever favours the caller).
 */
export class RateLimiter {
	readonly #rate: Rate;
	readonly #now: () => number;
	readonly #maxKeys: number;
	readonly #buckets = new Map<string, TokenBucket>();

	constructor(rate: Rate, now: () => number = () => performance.now(), maxKeys = 100_000) {
		checkRate(rate);
		this.#rate = rate;
		this.#now = now;
		this.#maxKeys = maxKeys;
	}

	/** Takes one token for `key`: 0 when allowed, else how long to wait (ms) before a retry succeeds. */
	take(key: string): number {
		const now = this.#now();
		return this.#bucket(key, now).take(now);
	}

	/** Charges `cost` tokens to `key` after the fact (see {@link TokenBucket.charge}). */
	charge(key: string, cost: number, now = this.#now()): number {
		return this.#bucket(key, now).charge(cost, now);
	}

	/** `key`'s bucket, moved to the most recently used end. */
	#bucket(key: string, now: number): TokenBucket {
		let bucket = this.#buckets.get(key);
		if (bucket === undefined) {
			if (this.#buckets.size >= this.#maxKeys) {
				const oldest = this.#buckets.keys().next().value;
				if (oldest !== undefined) this.#buckets.delete(oldest);
			}
			bucket = new TokenBucket(this.#rate, now);
		} else {
			// Re-inserted below, so the map stays in least-recently-used order.
			this.#buckets.delete(key);
		}
		this.#buckets.set(key, bucket);
		return bucket;
	}

	/** Forgets `key`. */
	forget(key: string): void {
		this.#buckets.delete(key);
	}
}

/** True for loopback peers (127.0.0.0/8, ::1), which per-address limits skip by default. */
export function isLoopbackAddress(address: string | undefined): boolean {
	if (address === undefined) return false;
	return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * The key a client address counts against in per-address limits: an IPv4
 * address itself (written plainly or mapped into IPv6, `::ffff:a.b.c.d`), an
 * IPv6 address by its /64 prefix. One subscriber usually holds a whole /64
 * (a probe noted that keying by the full address let one rotate through
 * 2^64 addresses, each with limits of its own). An address it cannot read is
 * its own key. Idempotent: a key is its own key.
 */
export function addressKey(address: string): string {
	// IPv4 and keys first: a socket's key is looked up again per frame.
	if (!address.includes(":") || address.endsWith("/64")) return address;
	const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
	if (mapped !== null) return mapped[1] as string;
	const groups = ipv6Groups(address.replace(/%.*$/, ""));
	if (groups === undefined) return address;
	// IPv4 mapped and written in hex (`::ffff:a00:7`): the IPv4 address.
	if (groups.slice(0, 5).every((group) => group === "0") && groups[5] === "ffff") {
		const [high, low] = [groups[6], groups[7]].map((group) => Number.parseInt(group as string, 16));
		return [
			(high as number) >> 8,
			(high as number) & 255,
			(low as number) >> 8,
			(low as number) & 255,
		].join(".");
	}
	return `${groups.slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address, as lowercase hex without leading zeros; undefined if it is not one. */
function ipv6Groups(address: string): string[] | undefined {
	const halves = address.split("::");
	if (halves.length > 2) return undefined;
	const part = (text: string | undefined) =>
		text === undefined || text === "" ? [] : text.split(":");
	let head = part(halves[0]);
	let tail = part(halves[1]);
	// An IPv4 tail (`64:ff9b::192.0.2.1`) is two groups.
	const last = (halves.length === 2 ? tail : head).at(-1);
	if (last?.includes(".")) {
		const octets = last.split(".").map(Number);
		if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
			return undefined;
		const [a, b, c, d] = octets as [number, number, number, number];
		const v4 = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
		if (halves.length === 2) tail = [...tail.slice(0, -1), ...v4];
		else head = [...head.slice(0, -1), ...v4];
	}
	const missing = 8 - head.length - tail.length;
	if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
	const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
	if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
	return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
