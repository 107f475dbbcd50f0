// The client's address behind trusted reverse proxies (X-Forwarded-For), for the
// per-address limits. Our own because Node has what it takes (net.BlockList for the address
// ranges, net.isIP); the header's rules are the usual ones (Express's `trust proxy`, nginx's
// `real_ip_recursive`): read from the right, skip trusted proxies.
import { BlockList, isIP } from "node:net";

/** The address a request whose `X-Forwarded-For` names no client counts against. */
export const UNKNOWN_CLIENT = "unknown";

/** Addresses and ranges (CIDR) of the reverse proxies in front of the server. */
export class TrustedProxies {
	readonly #list = new BlockList();

	/** `entries`: addresses (`10.0.0.5`, `::1`) or ranges (`10.0.0.0/8`, `fd00::/8`). Throws on others. */
	constructor(entries: readonly string[]) {
		for (const entry of entries) {
			const [address = "", prefix, ...rest] = entry.trim().split("/");
			const family = isIP(address);
			if (family === 0 || rest.length > 0)
				throw new TypeError(`trustedProxies: "${entry}" is not an address or a range`);
			const type = family === 4 ? "ipv4" : "ipv6";
			if (prefix === undefined) {
				this.#list.addAddress(address, type);
				continue;
			}
			// Digits only: "10.0.0.5/" read as /0 trusted every address, and "/-0" aborted the
			// process in Node's BlockList (an attacker probe, 2026-11-29). /0 is refused too:
			// trusting every peer believes every client's header.
			const most = family === 4 ? 32 : 128;
			const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
			if (!(bits >= 1 && bits <= most))
				throw new TypeError(`trustedProxies: "${entry}" has no valid prefix length (1 to ${most})`);
			this.#list.addSubnet(address, bits, type);
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
	 * the address it was reached from; what is left of that is the client's own word), a port
	 * or brackets taken off (`198.51.100.8:5555`, `[2001:db8::8]:443`). An entry that is no
	 * address (`unknown`) gives {@link UNKNOWN_CLIENT}: one shared, limited bucket (it gave the
	 * proxy's own address, on loopback exempt from every limit: an attacker probe, 2026-11-29).
	 * A header of proxies only gives the leftmost; none, the peer's.
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
			const hop = plainAddress((hops[i] as string).trim());
			if (hop === undefined) return UNKNOWN_CLIENT;
			client = hop;
			if (!this.trusts(hop)) return hop;
		}
		return client;
	}
}

/** `hop` as an address, its port or brackets taken off; undefined when it is none. */
function plainAddress(hop: string): string | undefined {
	if (isIP(hop) !== 0) return hop;
	const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
	if (bracketed !== null) return isIP(bracketed[1] as string) === 6 ? bracketed[1] : undefined;
	const withPort = /^([\d.]+):\d{1,5}$/.exec(hop);
	if (withPort !== null && isIP(withPort[1] as string) === 4) return withPort[1];
	return undefined;
}
