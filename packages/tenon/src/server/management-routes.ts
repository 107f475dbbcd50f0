import { base64ToBytes } from "../protocol/bytes.js";
import { decodeValue } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import { deserializeKey, serializeKey, validateKey } from "../protocol/keys.js";
import { validateNamespace } from "../runtime/actor-host.js";
import type { Runtime } from "../runtime/runtime.js";
import type { ActorRecord } from "../storage/interfaces.js";
import { jsonResponse, readBodyLimited } from "./http-util.js";

/** The package version reported by `/metadata`. */
export const TENON_VERSION = "0.1.0";

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
	return validateNamespace(url.searchParams.get("namespace") ?? "default");
}

interface CreateBody {
	name: string;
	key: string[];
	input: Uint8Array | undefined;
}

async function readCreateBody(request: Request, runtime: Runtime): Promise<CreateBody> {
	const raw = await readBodyLimited(request, runtime.limits.maxHttpBodyBytes);
	const body = decodeValue("json", raw);
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
	validateKey(keyParts, runtime.limits);
	let inputBytes: Uint8Array | undefined;
	if (input !== undefined && input !== null) {
		if (typeof input !== "string") throw errors.invalid("'input' must be base64-encoded CBOR");
		try {
			inputBytes = base64ToBytes(input);
		} catch {
			throw errors.invalid("'input' is not valid base64");
		}
		if (inputBytes.byteLength > runtime.limits.maxInputBytes)
			throw errors.inputTooLong(runtime.limits.maxInputBytes);
	}
	return { name, key: keyParts, input: inputBytes };
}

async function listActors(url: URL, runtime: Runtime): Promise<Response> {
	const namespace = namespaceOf(url);
	const host = runtime.host;
	const ids = url.searchParams.get("actor_ids");
	const name = url.searchParams.get("name");
	const key = url.searchParams.get("key");
	const toJson = (record: ActorRecord) =>
		actorToJson(record, host.awakeInstance(record.actorId) !== undefined);
	if (ids !== null) {
		const records: ActorRecord[] = [];
		for (const actorId of ids.split(",").slice(0, 100)) {
			const record = await host.getLiveRecord(actorId).catch(() => undefined);
			if (record && record.namespace === namespace) records.push(record);
		}
		return jsonResponse({ actors: records.map(toJson) });
	}
	if (name === null) throw errors.invalid("pass actor_ids, or name (and optionally key)");
	if (key !== null) {
		const parts = validateKey(deserializeKey(key), runtime.limits);
		const record = await host
			.resolve(namespace, { kind: "key", name, key: parts, method: "get" })
			.catch((error) => {
				if (error instanceof ActorError && error.code === "not_found") return undefined;
				throw error;
			});
		return jsonResponse({ actors: record ? [toJson(record)] : [] });
	}
	if (!host.actorNames.includes(name)) throw errors.unknownActorName(name);
	const limit = Math.min(Number(url.searchParams.get("limit") ?? 100) || 100, 1000);
	const after = url.searchParams.get("cursor") ?? undefined;
	const records = await host.listActors(namespace, name, limit, after);
	return jsonResponse({
		actors: records.map(toJson),
		...(records.length === limit ? { pagination: { cursor: records.at(-1)?.actorId } } : {}),
	});
}

/**
 * Serves the management REST API (PROTOCOL.md): `/metadata`, `/health`,
 * `/actors` lookups, create, get-or-create and destroy, `/actors/names`.
 * Returns undefined for paths it does not own.
 */
export async function handleManagement(
	request: Request,
	url: URL,
	path: string,
	runtime: Runtime,
): Promise<Response | undefined> {
	const method = request.method;
	const host = runtime.host;
	switch (path) {
		case "/metadata":
			if (method !== "GET") throw errors.methodNotAllowed(method, path);
			return jsonResponse({
				runtime: "tenon",
				version: TENON_VERSION,
				actorNames: Object.fromEntries(host.actorNames.map((name) => [name, { metadata: {} }])),
			});
		case "/health":
		case "/healthz":
			return jsonResponse({ status: "ok", runtime: "tenon", version: TENON_VERSION });
		case "/actors/names":
			if (method !== "GET") throw errors.methodNotAllowed(method, path);
			namespaceOf(url);
			return jsonResponse({
				names: Object.fromEntries(host.actorNames.map((name) => [name, { metadata: {} }])),
			});
		case "/actors": {
			if (method === "GET") return listActors(url, runtime);
			if (method !== "PUT" && method !== "POST") throw errors.methodNotAllowed(method, path);
			const namespace = namespaceOf(url);
			const body = await readCreateBody(request, runtime);
			const { record, created } = await host.create(
				namespace,
				body.name,
				body.key,
				body.input,
				method === "POST",
			);
			const actor = actorToJson(record, host.awakeInstance(record.actorId) !== undefined);
			return jsonResponse(method === "PUT" ? { actor, created } : { actor });
		}
		default:
			break;
	}
	if (path.startsWith("/actors/")) {
		const actorId = decodeURIComponent(path.slice("/actors/".length));
		if (method !== "DELETE") throw errors.methodNotAllowed(method, path);
		namespaceOf(url);
		await host.destroy(actorId);
		return jsonResponse({});
	}
	return undefined;
}
