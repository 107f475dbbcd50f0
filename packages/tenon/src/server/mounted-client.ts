// Who a request from a mounted `registry.handler` comes from. A Web `Request`
// carries no client address, so the framework that received it passes one:
// `{ remoteAddress }` (Bun's `server.requestIP(req)?.address`, Deno's
// `info.remoteAddr.hostname`), or the env Hono's node-server gives a route
// (`c.env`, whose `incoming` is the Node request). Without an address every
// per-address limit is off for the request, and hooks see no
// `c.request.remoteAddress` (an attacker probe, 2026-11-28: one client had the
// node's whole budget through a Hono mount).
import type { ClientInfo } from "./caller-request.js";

/** What `registry.handler` takes beside the request: the client's address, or a Node request's env. */
export type MountedClient =
	| { readonly remoteAddress?: string | null | undefined }
	| {
			readonly incoming?: { readonly socket?: { readonly remoteAddress?: string | undefined } };
			readonly outgoing?: unknown;
	  };

/** The client info of a mounted request, or undefined when the mount gave no address. */
export function mountedClientInfo(client: MountedClient | undefined): ClientInfo | undefined {
	if (client === null || typeof client !== "object") return undefined;
	const given =
		"remoteAddress" in client
			? client.remoteAddress
			: "incoming" in client
				? client.incoming?.socket?.remoteAddress
				: undefined;
	return typeof given === "string" && given !== "" ? { remoteAddress: given } : undefined;
}
