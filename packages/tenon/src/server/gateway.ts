import { base64ToBytes } from "../protocol/bytes.js";
import { errors } from "../protocol/errors.js";
import { parseQueryKey, validateKey } from "../protocol/keys.js";
import type { Limits } from "../protocol/limits.js";
import { type ActorTarget, validateNamespace } from "../runtime/actor-gateway.js";
import { notUtf8Query, queryPairs } from "./strict-query.js";

/** A parsed `/gateway/...` request. */
export interface GatewayRequest {
	namespace: string;
	target: ActorTarget;
	/** The path under the actor, e.g. `/action/increment` or `/connect`. */
	path: string;
	/** The query string left for the actor once `rvt-*` parameters are stripped, without `?` ("" when none). */
	query: string;
	token: string | undefined;
}

/** The namespace of a request that names none. */
const DEFAULT_NAMESPACE = "default";

const KNOWN_PARAMS = new Set([
	"rvt-namespace",
	"rvt-method",
	"rvt-key",
	"rvt-input",
	"rvt-runner",
	"rvt-crash-policy",
	"rvt-token",
	"rvt-region",
	"rvt-skip-ready-wait",
]);

/**
 * Parses `/gateway/{actorId}[@token]{path}` (direct) or
 * `/gateway/{name}{path}?rvt-method=get|getOrCreate&...` (query form).
 * Unknown or repeated `rvt-*` parameters are rejected; all of them are stripped
 * from what reaches the actor. Returns undefined when `pathname` is not a gateway path.
 */
export function parseGatewayRequest(
	pathname: string,
	url: URL,
	limits: Limits,
): GatewayRequest | undefined {
	if (!pathname.startsWith("/gateway/")) return undefined;
	// Most calls have no query (a handle by id): its parse is skipped.
	const hasQuery = url.search !== "";
	const rest = pathname.slice("/gateway/".length);
	const slash = rest.indexOf("/");
	const segment = slash === -1 ? rest : rest.slice(0, slash);
	const path = slash === -1 ? "" : rest.slice(slash);
	let decodedSegment = segment;
	// Without a `%`, decoding changes nothing (an actor id never has one).
	if (segment.includes("%"))
		try {
			decodedSegment = decodeURIComponent(segment);
		} catch {
			throw errors.invalidQuery("the actor segment is not valid URL encoding");
		}
	if (decodedSegment === "") throw errors.invalidQuery("missing actor id or name");

	if (!hasQuery) {
		// No `rvt-*` parameters: a handle by id (the client's hot path), in the default namespace.
		const at = decodedSegment.indexOf("@");
		const actorId = at === -1 ? decodedSegment : decodedSegment.slice(0, at);
		const token = at === -1 ? undefined : decodedSegment.slice(at + 1);
		return {
			namespace: DEFAULT_NAMESPACE,
			target: { kind: "id", actorId },
			path,
			query: "",
			token,
		};
	}
	// Read pair by pair, strictly: decoded by URLSearchParams, `rvt%2Dkey=%FF` skipped the
	// check for UTF-8 (made for names sent as `rvt-`) and named the key "\uFFFD", as `%FE`
	// did; and the rest of the query reached the actor re-encoded (`~` as `%7E`, `/` as
	// `%2F`), which broke a webhook's signature over its URL (an attacker probe, 2026-11-27).
	const params = new Map<string, string>();
	const left: string[] = [];
	for (const pair of queryPairs(url.search)) {
		if (!pair.lenientName.startsWith("rvt-")) {
			left.push(pair.raw);
			continue;
		}
		const { name, value } = pair;
		if (name === undefined || value === undefined) throw notUtf8Query(pair.lenientName);
		if (!KNOWN_PARAMS.has(name)) throw errors.invalidQuery(`unknown parameter '${name}'`);
		if (params.has(name)) throw errors.invalidQuery(`parameter '${name}' is repeated`);
		params.set(name, value);
	}
	// The actor's part of the query as sent, pair by pair.
	const query = left.join("&");
	const namespace = validateNamespace(params.get("rvt-namespace") ?? DEFAULT_NAMESPACE);
	const method = params.get("rvt-method");
	if (method === undefined) {
		for (const name of params.keys()) {
			if (name !== "rvt-namespace" && name !== "rvt-token") {
				throw errors.invalidQuery(`'${name}' needs rvt-method`);
			}
		}
		const at = decodedSegment.indexOf("@");
		const actorId = at === -1 ? decodedSegment : decodedSegment.slice(0, at);
		const token = at === -1 ? params.get("rvt-token") : decodedSegment.slice(at + 1);
		return { namespace, target: { kind: "id", actorId }, path, query, token };
	}
	if (method !== "get" && method !== "getOrCreate") {
		throw errors.invalidQuery("rvt-method must be get or getOrCreate");
	}
	const key = validateKey(parseQueryKey(params.get("rvt-key") ?? null), limits);
	let input: Uint8Array | undefined;
	const encodedInput = params.get("rvt-input");
	if (encodedInput !== undefined) {
		if (method === "get") throw errors.invalidQuery("rvt-input is only allowed with getOrCreate");
		try {
			input = base64ToBytes(encodedInput);
		} catch {
			throw errors.invalidQuery("rvt-input is not base64url");
		}
		if (input.byteLength > limits.maxInputBytes) throw errors.inputTooLong(limits.maxInputBytes);
	}
	return {
		namespace,
		target: {
			kind: "key",
			name: decodedSegment,
			key,
			method,
			...(input === undefined ? {} : { input }),
		},
		path,
		query,
		token: params.get("rvt-token"),
	};
}

/** Whether a gateway path's body is Tenon's protocol (an action's, a queue message's). */
export function protocolBody(path: string): boolean {
	return path.startsWith("/action/") || path.startsWith("/queue/");
}
