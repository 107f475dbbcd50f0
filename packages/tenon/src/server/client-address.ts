// The client's address behind trusted reverse proxies (X-Forwarded-For), for the
// per-address limits. A library of our own because Node has what it takes (net.BlockList
// for the address ranges, net.isIP); the header's rules are the usual ones (Express's
// `trust proxy`, nginx's `real_ip_recursive`): read from the right, skip trusted proxies.
import { BlockList, isIP } from "node:net";

/** Addresses and ranges (CIDR) of the reverse proxies in front of the server. */
export class TrustedProxies {
	readonly #list = new BlockList();

	/** `entries`: addresses (`10.0.0.5`, `::1`) or ranges (`10.0.0.0/8`, `fd00::/8`). Throws on others. */
	constructor(entries: readonly string[]) {
		for (const entry of entries) {
			const [address = "", prefix] = entry.trim().split("/");
			const family = isIP(address);
			if (family === 0)
				throw new TypeError(`trustedProxies: "${entry}" is not an address or a range`);
			const type = family === 4 ? "ipv4" : "ipv6";
			if (prefix === undefined) this.#list.addAddress(address, type);
			else {
				const bits = Number(prefix);
				if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
					throw new TypeError(`trustedProxies: "${entry}" has no valid prefix length`);
				this.#list.addSubnet(address, bits, type);
			}
		}
	}

	/** True when `address` is one of the proxies (an IPv4-mapped IPv6 address as its IPv4 one). */
	trusts(address: string): boolean {
		const plain =
			address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
		const family = isIP(plain);
		if (family === 0) return false;
		return this.#list.check(plain, family === 4 ? "ipv4" : "ipv6");
	}

	/**
	 * The client's address: the TCP peer's, unless the peer is a trusted proxy; then the
	 * rightmost address of `X-Forwarded-For` that is not a trusted proxy (each proxy appends
	 * the address it was reached from; what is left of that is the client's own word). A
	 * header that is missing, malformed, or all proxies gives the last well-formed address
	 * read (or the peer's).
	 */
	clientAddress(
		peer: string | undefined,
		forwardedFor: string | string[] | undefined,
	): string | undefined {
		if (peer === undefined || forwardedFor === undefined || !this.trusts(peer)) return peer;
		const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
		let client = peer;
		// At most 32 hops are read: a header of thousands costs no more.
		for (let i = hops.length - 1, read = 0; i >= 0 && read < 32; i--, read++) {
			const hop = (hops[i] as string).trim();
			if (isIP(hop) === 0) return client;
			client = hop;
			if (!this.trusts(hop)) return hop;
		}
		return client;
	}
}
