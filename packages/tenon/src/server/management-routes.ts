import { TENON_VERSION } from "../common/version.js";
import { base64ToBytes } from "../protocol/bytes.js";
import { decodeUntrusted } from "../protocol/encoding.js";
import { errors } from "../protocol/errors.js";
import { deserializeKey, serializeKey, validateKey } from "../protocol/keys.js";
import type { ActorGateway, Caller } from "../runtime/actor-gateway.js";
import { validateNamespace } from "../runtime/actor-gateway.js";
import type { ActorRecord } from "../storage/interfaces.js";
import type { AccessPolicy } from "./access.js";
import { type DecodeBudget, decodeWithin, readWithin } from "./decode-time.js";
import { jsonResponse } from "./http-util.js";
import { notUtf8Query, queryPairs } from "./strict-query.js";

/** The REST shape of an actor (RivetKit's engine API field names). */
export function actorToJson(record: ActorRecord, awake: boolean): Record<string, unknown> {
	const json: Record<string, unknown> = {
		actor_id: record.actorId,
		name: record.name,
		key: serializeKey(record.key),
		namespace_id: record.namespace,
		runner_name_selector: "default",
		crash_policy: "sleep",
		create_ts: record.createdAt,
	};
	if (record.destroyedAt !== undefined) json.destroy_ts = record.destroyedAt;
	if (awake) json.connectable_ts = record.createdAt;
	return json;
}

function namespaceOf(url: URL): string {
	assertUtf8Query(url);
	return validateNamespace(url.searchParams.get("namespace") ?? "default");
}

/**
 * Refuses a query whose names or values are not UTF-8 percent-encoding: read
 * leniently, `key=%FF` and `key=%FE` both found the actor keyed "\uFFFD"
 * (an attacker probe, 2026-11-27; the gateway refuses such `rvt-key`s too).
 */
function assertUtf8Query(url: URL): void {
	if (url.search === "") return;
	for (const pair of queryPairs(url.search))
		if (pair.name === undefined || pair.value === undefined) throw notUtf8Query(pair.lenientName);
}

interface CreateBody {
	name: string;
	key: string[];
	input: Uint8Array | undefined;
}

async function readCreateBody(
	request: Request,
	actors: ActorGateway,
	readBody: (request: Request) => Promise<Uint8Array>,
	decodeBudget: DecodeBudget | undefined,
): Promise<CreateBody> {
	const raw = await readWithin(decodeBudget, () => readBody(request));
	const body = decodeWithin(decodeBudget, () => decodeUntrusted("json", raw, "body"));
	if (typeof body !== "object" || body === null || Array.isArray(body))
		throw errors.invalid("expected a JSON object");
	const { name, key, input } = body as Record<string, unknown>;
	if (typeof name !== "string" || name === "")
		throw errors.invalid("'name' must be a non-empty string");
	let keyParts: string[] = [];
	if (typeof key === "string") keyParts = deserializeKey(key);
	else if (Array.isArray(key)) keyParts = key as string[];
	else if (key !== undefined && key !== null)
		throw errors.invalidKey("'key' must be a serialized key string");
	validateKey(keyParts, actors.limits);
	let inputBytes: Uint8Array | undefined;
	if (input !== undefined && input !== null) {
		if (typeof input !== "string") throw errors.invalid("'input' must be base64-encoded CBOR");
		try {
			inputBytes = base64ToBytes(input);
		} catch {
			throw errors.invalid("'input' is not valid base64");
		}
		if (inputBytes.byteLength > actors.limits.maxInputBytes)
			throw errors.inputTooLong(actors.limits.maxInputBytes);
	}
	return { name, key: keyParts, input: inputBytes };
}

async function listActors(
	request: Request,
	url: URL,
	actors: ActorGateway,
	routes: ManagementContext,
): Promise<Response> {
	const namespace = namespaceOf(url);
	const ids = url.searchParams.get("actor_ids");
	const name = url.searchParams.get("name");
	const key = url.searchParams.get("key");
	const toJson = (record: ActorRecord) => actorToJson(record, actors.isAwake(record.actorId));
	if (ids !== null) {
		// Ids are unguessable capabilities: knowing one is what lets a client address the actor.
		routes.checkClient(request);
		const wanted = ids.split(",");
		// Refused, not cut: ids past the 100th were dropped, answered as if they did not exist.
		if (wanted.length > 100) throw errors.invalid("at most 100 actor_ids at once");
		const records: ActorRecord[] = [];
		for (const actorId of wanted) {
			const record = await actors.getActor(actorId, namespace).catch(() => undefined);
			if (record) records.push(record);
		}
		return jsonResponse({ actors: records.map(toJson) });
	}
	if (name === null) throw errors.invalid("pass actor_ids, or name (and optionally key)");
	if (key !== null) {
		// A lookup by name and key: what clients need for get/getOrCreate; it never enumerates.
		routes.checkClient(request);
		const parts = validateKey(deserializeKey(key), actors.limits);
		const record = await actors.findActor(namespace, name, parts);
		return jsonResponse({ actors: record ? [toJson(record)] : [] });
	}
	// Listing enumerates every actor of a name: operators only.
	routes.access.requireAdmin(request, "Listing actors");
	if (!actors.actorNames.includes(name)) throw errors.unknownActorName(name);
	// A whole number, at least 1 (at most 1000 are listed): -1 or 1.5 listed one or two and
	// gave no cursor, so a paging tool stopped early without noticing (an attacker probe).
	const asked = url.searchParams.get("limit") ?? "100";
	if (!/^[0-9]{1,16}$/.test(asked) || Number(asked) < 1)
		throw errors.invalidQuery(
			"limit must be a whole number of at least 1 (at most 1000 are listed)",
		);
	const limit = Math.min(Number(asked), 1000);
	const after = url.searchParams.get("cursor") ?? undefined;
	const records = await actors.listActors(namespace, name, limit, after);
	return jsonResponse({
		actors: records.map(toJson),
		...(records.length === limit ? { pagination: { cursor: records.at(-1)?.actorId } } : {}),
	});
}

/** What the management routes need from the server besides the actors. */
export interface ManagementContext {
	readonly access: AccessPolicy;
	/** Checks the client token (when one is configured) of a client request. */
	checkClient(request: Request): void;
	/** Origin and content-type checks of a request that changes state. */
	checkStateChange(request: Request): void;
	/** Who calls (params from `x-rivet-conn-params`, the request), for `onBeforeCreate`. */
	caller(request: Request): Caller;
	/** Reads a body within the server's limits. */
	readBody(request: Request): Promise<Uint8Array>;
	/** Its address's decode time (server/decode-time.ts): a body is read and decoded within it. */
	readonly decodeBudget?: DecodeBudget | undefined;
	/** The client's address, for the audit log. */
	readonly remoteAddress?: string | undefined;
}

/**
 * Serves the management REST API (PROTOCOL.md): `/metadata`, `/health`, `/ready`,
 * `/actors` lookups, create, get-or-create and destroy, `/actors/names`.
 * Listing and destroying need the admin token; creating goes through the
 * actor's `onBeforeCreate`. Returns undefined for paths it does not own.
 */
export async function handleManagement(
	request: Request,
	url: URL,
	path: string,
	actors: ActorGateway,
	routes: ManagementContext,
): Promise<Response | undefined> {
	const method = request.method;
	switch (path) {
		case "/metadata":
			if (method !== "GET") throw errors.methodNotAllowed(method, path);
			return jsonResponse({
				runtime: "tenon",
				version: TENON_VERSION,
				actorNames: Object.fromEntries(actors.actorNames.map((name) => [name, { metadata: {} }])),
			});
		case "/health":
		case "/healthz": {
			// HEAD too: what load balancers' health checks often send.
			if (method !== "GET" && method !== "HEAD") throw errors.methodNotAllowed(method, path);
			// As /ready: a probe must see the node as it is now, not a cache's copy.
			const response = jsonResponse({ status: "ok", runtime: "tenon", version: TENON_VERSION });
			response.headers.set("cache-control", "no-store");
			return response;
		}
		case "/ready":
		case "/readyz": {
			if (method !== "GET" && method !== "HEAD") throw errors.methodNotAllowed(method, path);
			// Not cached by anyone between: a probe must see the node as it is now.
			const report = await actors.readiness();
			const response = jsonResponse(
				report.ready
					? { status: "ready", runtime: "tenon", version: TENON_VERSION }
					: {
							status: "not_ready",
							reason: report.reason,
							runtime: "tenon",
							version: TENON_VERSION,
						},
				report.ready ? 200 : 503,
			);
			response.headers.set("cache-control", "no-store");
			return response;
		}
		case "/actors/names":
			if (method !== "GET") throw errors.methodNotAllowed(method, path);
			namespaceOf(url);
			return jsonResponse({
				names: Object.fromEntries(actors.actorNames.map((name) => [name, { metadata: {} }])),
			});
		case "/actors": {
			if (method === "GET") return listActors(request, url, actors, routes);
			if (method !== "PUT" && method !== "POST") throw errors.methodNotAllowed(method, path);
			routes.checkStateChange(request);
			routes.checkClient(request);
			const namespace = namespaceOf(url);
			const caller = routes.caller(request);
			const body = await readCreateBody(request, actors, routes.readBody, routes.decodeBudget);
			const { record, created } = await actors.createActor(
				namespace,
				body.name,
				body.key,
				body.input,
				method === "POST",
				caller,
			);
			const actor = actorToJson(record, actors.isAwake(record.actorId));
			return jsonResponse(method === "PUT" ? { actor, created } : { actor });
		}
		default:
			break;
	}
	if (path.startsWith("/actors/")) {
		if (method !== "DELETE") throw errors.methodNotAllowed(method, path);
		let actorId: string;
		try {
			actorId = decodeURIComponent(path.slice("/actors/".length));
		} catch {
			throw errors.invalid("the actor id is not valid URL encoding");
		}
		routes.checkStateChange(request);
		routes.access.requireAdmin(request, "Destroying actors");
		await actors.destroyActor(actorId, namespaceOf(url));
		// Audited as the inspector's changes are (an operator's walkthrough, 2026-11-29: a
		// destroy through the REST API left no line).
		actors.logger.info("an actor was destroyed through the management API", {
			actorId,
			who: `admin@${routes.remoteAddress ?? "in-process"}`,
		});
		return jsonResponse({});
	}
	return undefined;
}
