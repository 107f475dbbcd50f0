// The inspector app's API beyond the read-only views of inspector-routes.ts:
// the session, listing actors with their status, creating and destroying
// them, state (read, edit), actions, KV, a read-only SQL console and the turn
// history (time travel), timers and jobs (with an audited cancel), and the
// live event log. Reading takes the inspector or the admin token;
// changing anything takes the admin token.

import { utf8Length } from "../protocol/bytes.js";
import { decodeUntrusted, encodedLength, encodeValue } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import { wellFormedStrings } from "../protocol/json-compat.js";
import { deserializeKey, validateKey } from "../protocol/keys.js";
import { MAX_ACTION_ARGS } from "../protocol/messages.js";
import type { ActorGateway, Caller } from "../runtime/actor-gateway.js";
import { validateNamespace } from "../runtime/actor-gateway.js";
import type { AccessPolicy } from "./access.js";
import { bodyResponse, jsonResponse } from "./http-util.js";
import { eventStream } from "./inspector-event-stream.js";
import { stateStream } from "./inspector-stream.js";
import type { StreamCaller } from "./inspector-stream-slots.js";
import type { QueryBudget } from "./query-budget.js";

/** What the inspector routes need from the server besides the actors. */
export interface InspectorContext {
	readonly access: AccessPolicy;
	/** Reads a body within the server's limits. */
	readBody(request: Request): Promise<Uint8Array>;
	/** Origin checks of a request that changes state. */
	checkStateChange(request: Request): void;
	/** The caller an action from the console runs as (params from `x-rivet-conn-params`; no token). */
	caller(request: Request): Caller;
	/** The client's address, for the audit log. */
	remoteAddress: string | undefined;
	/** The key per-address limits count the client against; undefined where none apply. */
	addressKey: string | undefined;
	/** The time the SQL console's queries may take (one per server). */
	readonly queries: QueryBudget;
}

const MAX_LIST = 1_000;
const MAX_QUERY_ROWS = 1_000;

const ACTOR_PATH =
	/^\/inspector\/actors\/([^/]+)(?:\/(state|state\/stream|kv|history|workflow\/replay|db\/query|schedules|events\/stream|actions\/([^/]+)|history\/(\d{1,15})\/restore|schedules\/timers\/([^/]+)|history\/(\d{1,15})))?$/;

function decodeSegment(segment: string, what: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		throw errors.invalid(`the ${what} is not valid URL encoding`);
	}
}

async function readJsonObject(
	request: Request,
	context: InspectorContext,
): Promise<Record<string, unknown>> {
	const raw = await context.readBody(request);
	if (raw.byteLength === 0) throw errors.invalid("expected a JSON object body");
	// Lone surrogates become U+FFFD, as in a client's JSON (an actor never sees one).
	const body = wellFormedStrings(decodeUntrusted("json", raw, "body"), raw);
	if (typeof body !== "object" || body === null || Array.isArray(body))
		throw errors.invalid("expected a JSON object");
	return body as Record<string, unknown>;
}

function requireMethod(request: Request, path: string, ...methods: string[]): void {
	if (!methods.includes(request.method)) throw errors.methodNotAllowed(request.method, path);
}

/** Writes need the admin token (the inspector token only reads) and pass the Origin check. */
function requireWriter(request: Request, context: InspectorContext, what: string): void {
	context.access.requireAdmin(request, what);
	context.checkStateChange(request);
}

/**
 * The request an action from the console runs as, without the operator's
 * credential: hooks see the conn params and the client's other headers, never
 * the admin token (nor cookies of the inspector's origin).
 */
function withoutCredentials(request: Request): Request {
	const headers = new Headers(request.headers);
	for (const name of ["authorization", "x-rivet-token", "cookie"]) headers.delete(name);
	return new Request(request.url, { method: request.method, headers });
}

/** Who opens a stream, for the stream slots' caps. */
function streamCaller(request: Request, context: InspectorContext): StreamCaller {
	return { role: context.access.inspectorRole(request), addressKey: context.addressKey };
}

function auditOf(request: Request, context: InspectorContext): { who: string } {
	const role = context.access.inspectorRole(request);
	return { who: `${role}@${context.remoteAddress ?? "in-process"}` };
}

/**
 * Serves the app's API routes; undefined for paths it does not own (the
 * read-only views in inspector-routes.ts). The caller checked the credential.
 */
export async function handleInspectorApi(
	request: Request,
	path: string,
	actors: ActorGateway,
	context: InspectorContext,
): Promise<Response | undefined> {
	const inspector = actors.inspector;
	const url = new URL(request.url);
	if (path === "/inspector/session") {
		requireMethod(request, path, "GET");
		return jsonResponse({
			role: context.access.inspectorRole(request),
			actorNames: actors.actorNames.map((name) => ({
				name,
				turnHistory: inspector.retention(name),
				actions: inspector.actionNames(name),
			})),
		});
	}
	if (path === "/inspector/actors") {
		const namespace = validateNamespace(url.searchParams.get("namespace") ?? "default");
		if (request.method === "POST") {
			requireWriter(request, context, "Creating actors");
			const body = await readJsonObject(request, context);
			const { name, key, input } = body;
			if (typeof name !== "string" || !actors.actorNames.includes(name))
				throw errors.invalid("'name' must be one of the registry's actor names");
			let keyParts: string[];
			if (typeof key === "string") keyParts = deserializeKey(key);
			else if (Array.isArray(key) && key.every((part) => typeof part === "string"))
				keyParts = key as string[];
			else if (key === undefined || key === null) keyParts = [];
			else throw errors.invalidKey("'key' must be a string or an array of strings");
			validateKey(keyParts, actors.limits);
			const { cborEncode } = await import("../protocol/encoding.js");
			const inputBytes = input === undefined ? undefined : cborEncode(input);
			if (inputBytes !== undefined && inputBytes.byteLength > actors.limits.maxInputBytes)
				throw errors.inputTooLong(actors.limits.maxInputBytes);
			const { record } = await actors.createActor(
				namespace,
				name,
				keyParts,
				inputBytes,
				true,
				context.caller(withoutCredentials(request)),
			);
			actors.logger.info("inspector created an actor", {
				actorId: record.actorId,
				actor: name,
				...auditOf(request, context),
			});
			return jsonResponse({ actor: inspector.summary(record) }, 201);
		}
		requireMethod(request, path, "GET");
		const name = url.searchParams.get("name");
		if (name !== null && !actors.actorNames.includes(name)) throw errors.unknownActorName(name);
		const limit = Math.min(Math.max(Number(url.searchParams.get("limit")) || 200, 1), MAX_LIST);
		const query = searchText(url.searchParams.get("q") ?? "");
		const listed = await inspector.list(
			namespace,
			name === null ? actors.actorNames : [name],
			limit,
		);
		const found =
			query === ""
				? listed
				: listed.filter((actor) =>
						// The key as stored and as the app shows it (parts between " / ").
						[actor.actorId, actor.name, actor.key.join("/"), actor.key.join(" / ")].some((text) =>
							text.toLowerCase().includes(query),
						),
					);
		return jsonResponse({ actors: found });
	}
	const match = ACTOR_PATH.exec(path);
	if (!match) return undefined;
	const actorId = decodeSegment(match[1] as string, "actor id");
	const view = match[2];
	switch (view) {
		case undefined: {
			if (request.method === "DELETE") {
				requireWriter(request, context, "Destroying actors");
				await actors.destroyActor(actorId);
				actors.logger.info("inspector destroyed an actor", {
					actorId,
					...auditOf(request, context),
				});
				return jsonResponse({});
			}
			requireMethod(request, path, "GET");
			return jsonResponse({ actor: inspector.summary(await actors.getActor(actorId)) });
		}
		case "state": {
			if (request.method === "PUT") {
				requireWriter(request, context, "Editing state");
				const body = await readJsonObject(request, context);
				if (!Object.hasOwn(body, "state")) throw errors.invalid("'state' is required");
				await inspector.editState(actorId, body.state, auditOf(request, context));
				return jsonResponse(await inspector.state(actorId));
			}
			requireMethod(request, path, "GET");
			const state = await inspector.state(actorId);
			return jsonResponse({ ...state, status: actors.isAwake(actorId) ? "awake" : "sleeping" });
		}
		case "state/stream": {
			requireMethod(request, path, "GET");
			await actors.getActor(actorId);
			return stateStream(request, actorId, actors, streamCaller(request, context));
		}
		case "kv": {
			requireMethod(request, path, "GET");
			const limit = Math.min(Math.max(Number(url.searchParams.get("limit")) || 100, 1), MAX_LIST);
			const prefix = url.searchParams.get("prefix") ?? "";
			return jsonResponse(await inspector.kv(actorId, prefix, limit));
		}
		case "history": {
			requireMethod(request, path, "GET");
			return jsonResponse(await inspector.history(actorId));
		}
		case "workflow/replay": {
			requireMethod(request, path, "POST");
			requireWriter(request, context, "Replaying workflows");
			const body = await readJsonObject(request, context);
			return jsonResponse(
				await inspector.replayWorkflow(
					actorId,
					{ path: body.path, restoreSeq: body.restoreSeq },
					auditOf(request, context),
				),
			);
		}
		case "db/query":
			requireMethod(request, path, "POST");
			return runQuery(request, actorId, actors, context);
		case "schedules":
			requireMethod(request, path, "GET");
			return jsonResponse(await inspector.schedules(actorId));
		case "events/stream": {
			requireMethod(request, path, "GET");
			await actors.getActor(actorId);
			return eventStream(request, actorId, actors, streamCaller(request, context));
		}
		default:
			break;
	}
	if (match[3] !== undefined) {
		requireMethod(request, path, "POST");
		requireWriter(request, context, "Running actions");
		return runAction(request, actorId, match[3], actors, context);
	}
	if (match[4] !== undefined) {
		requireMethod(request, path, "POST");
		requireWriter(request, context, "Restoring state");
		await inspector.restore(actorId, Number(match[4]), auditOf(request, context));
		return jsonResponse(await inspector.state(actorId));
	}
	if (match[6] !== undefined) {
		requireMethod(request, path, "GET");
		return jsonResponse(await inspector.turn(actorId, Number(match[6])));
	}
	if (match[5] !== undefined) {
		requireMethod(request, path, "DELETE");
		requireWriter(request, context, "Cancelling timers");
		const timerId = decodeSegment(match[5], "timer id");
		await inspector.cancelTimer(actorId, timerId, auditOf(request, context));
		return jsonResponse({});
	}
	return undefined;
}

/**
 * `POST /inspector/actors/{id}/actions/{name}` `{ args }`: the action console,
 * checked as a client's HTTP action is (gateway-routes.ts): the name's
 * length, `args` an array of at most MAX_ACTION_ARGS plain values, the reply
 * within `maxHttpBodyBytes`. Until
 * 2026-11-26 it took any number of arguments: 200,000 overflowed the stack
 * when spread into the action (`core/internal_error`, logged as a bug).
 */
async function runAction(
	request: Request,
	actorId: string,
	segment: string,
	actors: ActorGateway,
	context: InspectorContext,
): Promise<Response> {
	const name = decodeSegment(segment, "action name");
	const maxNameBytes = actors.limits.maxNameBytes;
	if (utf8Length(name) > maxNameBytes)
		throw errors.invalid(`action name exceeds ${maxNameBytes} bytes`);
	const body = await readJsonObject(request, context);
	const args = body.args ?? [];
	if (!Array.isArray(args)) throw errors.invalid("'args' must be an array");
	if (args.length > MAX_ACTION_ARGS)
		throw errors.invalid(`an action takes at most ${MAX_ACTION_ARGS} arguments`);
	const { namespace } = await actors.getActor(actorId);
	const started = Date.now();
	const encoded = await actors.action(
		{ namespace, target: { kind: "id", actorId } },
		name,
		args,
		context.caller(withoutCredentials(request)),
		// Encoded at the end of its turn, and bounded, like any action's reply.
		(output) => {
			const reply = encodeValue("json", { output, elapsedMs: Date.now() - started });
			if (encodedLength(reply) > actors.limits.maxHttpBodyBytes)
				throw errors.outgoingTooLong(`The response of '${name}'`, actors.limits.maxHttpBodyBytes);
			return reply;
		},
	);
	actors.logger.info("inspector ran an action", {
		actorId,
		action: name,
		...auditOf(request, context),
	});
	return bodyResponse("json", encoded);
}

async function runQuery(
	request: Request,
	actorId: string,
	actors: ActorGateway,
	context: InspectorContext,
): Promise<Response> {
	const body = await readJsonObject(request, context);
	const { sql } = body;
	if (typeof sql !== "string" || sql.trim() === "") throw errors.invalid("'sql' must be SQL text");
	// Loaded on demand: servers without databases never load SQLite.
	const inspect = await import("../db/inspect.js");
	if (sql.length > inspect.CONSOLE_MAX_SQL_CHARS)
		throw errors.invalid(
			`'sql' is longer than ${inspect.CONSOLE_MAX_SQL_CHARS.toLocaleString("en-US")} characters`,
		);
	const record = await actors.inspect(actorId);
	if (!record.databaseEnabled)
		throw new ActorError("inspector", "no_database", "This actor has no database");
	const timeoutMs = context.queries.take();
	const started = performance.now();
	// Charged its whole time (its copy of the database is made on the loop) less its wait for
	// its turn on the console's thread (db/inspect-thread.ts).
	let waitedMs = 0;
	try {
		const result = await inspect.runReadOnlyQuery(
			record.store,
			actorId,
			sql,
			MAX_QUERY_ROWS,
			timeoutMs,
			(ms) => {
				waitedMs = ms;
			},
		);
		if (result === undefined) return jsonResponse({ columns: [], rows: [], truncated: false });
		return jsonResponse(result);
	} catch (error) {
		if (error instanceof inspect.ReadOnlyQueryError) {
			throw new ActorError("inspector", error.reason, error.message);
		}
		throw error;
	} finally {
		context.queries.settle(timeoutMs, performance.now() - started - waitedMs);
	}
}

/**
 * A search as typed into the app, lowercased, with the escapes the app shows for hidden and
 * look-alike characters (`payments-pr\u{43e}d`) read back as those characters: a key copied
 * from the list found nothing (a walkthrough, 2026-11-29).
 */
function searchText(typed: string): string {
	return typed
		.replace(/\\u\{([0-9a-fA-F]{1,6})\}/g, (written, hex: string) => {
			const point = Number.parseInt(hex, 16);
			return point <= 0x10ffff ? String.fromCodePoint(point) : written;
		})
		.toLowerCase();
}
