import { previewValue } from "../common/value-preview.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { ActorGateway } from "../runtime/actor-gateway.js";
import { readWorkflowHistory } from "../workflow/history.js";
import { isWorkflowRun } from "../workflow/index.js";
import { jsonResponse } from "./http-util.js";
import { handleInspectorApi, type InspectorContext } from "./inspector-api.js";
import { isInspectorAppPath, serveInspectorApp } from "./inspector-app.js";
import { paramsShape, redactUrl } from "./inspector-redaction.js";
import { previewHistory } from "./workflow-preview.js";

const ACTOR_ROUTE =
	/^\/inspector\/actors\/([^/]+)\/(workflow|queue|connections|db\/schema|db\/rows)$/;
const MAX_ROWS = 1_000;
/** Connections the connections view shows. */
const CONNECTION_ROWS = 500;
/** Queue messages (and dead letters) the queue view shows, the oldest. */
const QUEUE_ROWS = 100;
/** The longest a database view's query may run (ms, from the SQL console's budget). */
const VIEW_QUERY_MS = 500;

/**
 * `/inspector/*`: the inspector web app at `/inspector/` (its files need no
 * credential), and its API behind the admin or the inspector token
 * (`Authorization: Bearer <token>`); disabled without either. The app's
 * routes are in inspector-api.ts; the read-only views for tools are these:
 *
 * - `GET /inspector/actors/{actorId}/workflow`: the workflow's status and
 *   journal (entries, status, attempts, errors) as committed.
 * - `GET /inspector/actors/{actorId}/db/schema`: tables and views of the
 *   actor's SQLite database, with columns.
 * - `GET /inspector/actors/{actorId}/db/rows?table=&limit=&offset=`: a page
 *   of rows (at most 1,000) and the total count.
 * - `GET /inspector/actors/{actorId}/queue`: stored messages (with their
 *   delivery counts) and dead letters, the oldest 100 of each, bodies as
 *   previews, and whether there are more.
 * - `GET /inspector/actors/{actorId}/connections`: stored connections (id,
 *   kind, params' shape, conn state as a preview, subscriptions), the first
 *   500, and where each socket is: `connected`, `hibernated` (held open
 *   while the actor sleeps) or `detached`; and whether the actor is awake.
 * - `GET /inspector/sockets`: sockets this node holds, and how many hibernate.
 * All read committed data, so the actor need not be awake.
 */
export async function handleInspector(
	request: Request,
	path: string,
	actors: ActorGateway,
	context: InspectorContext,
): Promise<Response | undefined> {
	if (path !== "/inspector" && !path.startsWith("/inspector/")) return undefined;
	// The web app's files need no credential; it asks for one and sends it to the API.
	if (isInspectorAppPath(path) && (request.method === "GET" || request.method === "HEAD"))
		return serveInspectorApp(request, path);
	context.access.requireInspector(request);
	const answered = await handleInspectorApi(request, path, actors, context);
	if (answered) return answered;
	if (path === "/inspector/sockets") {
		if (request.method !== "GET") throw errors.methodNotAllowed(request.method, path);
		return jsonResponse(actors.socketStats());
	}
	const match = ACTOR_ROUTE.exec(path);
	if (!match) throw errors.routeNotFound(request.method, path);
	if (request.method !== "GET") throw errors.methodNotAllowed(request.method, path);
	let actorId: string;
	try {
		actorId = decodeURIComponent(match[1] as string);
	} catch {
		throw errors.invalid("the actor id is not valid URL encoding");
	}
	if (match[2] === "connections") {
		const { actorStatus, connections } = await actors.connections(actorId);
		return jsonResponse({
			actorId,
			actorStatus,
			// Clients authenticate with their params: an operator sees their shape, not their values.
			// The first CONNECTION_ROWS, their states as previews: 10,000 connections with states of
			// their own were sent whole (an attacker probe's suspicion, 2026-11-28).
			connections: connections.slice(0, CONNECTION_ROWS).map((conn) => {
				const state = previewValue(conn.state);
				return {
					...conn,
					state: state.value,
					stateCut: state.truncated,
					params: paramsShape(conn.params),
					...(conn.url === undefined ? {} : { url: redactUrl(conn.url) }),
				};
			}),
			more: connections.length > CONNECTION_ROWS,
			total: connections.length,
		});
	}
	const record = await actors.inspect(actorId);
	const store = record.store;
	if (match[2] === "workflow") {
		const enabled = isWorkflowRun(record.run);
		return jsonResponse({
			actorId,
			name: record.name,
			isWorkflowEnabled: enabled,
			history: enabled
				? previewHistory(
						await readWorkflowHistory(store, actorId),
						context.access.inspectorRole(request) === "admin",
					)
				: null,
		});
	}
	if (match[2] === "queue") {
		// The oldest QUEUE_ROWS of each, their bodies as previews: whole, 1,000 bodies of 64 KiB
		// of control characters answered 393 MB, and ten such views held the loop 37 s and 7 GB
		// (an attacker probe, 2026-11-28). `more`: there are others past them.
		const { messages, deadLetters } = await actors.queueContents(actorId, QUEUE_ROWS + 1);
		// Fields named one by one: a stored message holds the queue's own bookkeeping too.
		const shown = (m: {
			seq: number;
			name: string;
			body: unknown;
			createdAt: number;
			deliveries: number;
		}) => {
			const preview = previewValue(m.body);
			return {
				id: String(m.seq),
				name: m.name,
				body: preview.value,
				cut: preview.truncated,
				createdAt: m.createdAt,
				deliveries: m.deliveries,
			};
		};
		return jsonResponse({
			actorId,
			name: record.name,
			messages: messages.slice(0, QUEUE_ROWS).map(shown),
			deadLetters: deadLetters
				.slice(0, QUEUE_ROWS)
				.map((d) => ({ ...shown(d), deadAt: d.deadAt, reason: d.reason })),
			more: {
				messages: messages.length > QUEUE_ROWS,
				deadLetters: deadLetters.length > QUEUE_ROWS,
			},
		});
	}
	const enabled = record.databaseEnabled;
	if (!enabled) return jsonResponse({ actorId, name: record.name, isDatabaseEnabled: false });
	const url = new URL(request.url);
	const table = match[2] === "db/rows" ? url.searchParams.get("table") : null;
	if (match[2] === "db/rows" && !table) throw errors.invalid("'table' is required");
	const limit = boundedInteger(url.searchParams.get("limit"), 100, 1, MAX_ROWS, "limit");
	const offset = boundedInteger(
		url.searchParams.get("offset"),
		0,
		0,
		Number.MAX_SAFE_INTEGER,
		"offset",
	);
	// Loaded on demand: servers without databases never load SQLite.
	const inspect = await import("../db/inspect.js");
	// These copy the committed database and query it on the console's thread (db/inspect-thread.ts):
	// the same budget, or a read-only holder's readers starved every other client (a probe).
	const timeoutMs = context.queries.take(VIEW_QUERY_MS);
	const started = performance.now();
	let waitedMs = 0;
	const onTurn = (ms: number) => {
		waitedMs = ms;
	};
	try {
		if (table === null) {
			return jsonResponse({
				actorId,
				name: record.name,
				isDatabaseEnabled: true,
				tables: (await inspect.readDatabaseSchema(store, actorId, timeoutMs, onTurn)) ?? [],
			});
		}
		const rows = await inspect.readDatabaseRows(
			store,
			actorId,
			table,
			limit,
			offset,
			timeoutMs,
			onTurn,
		);
		if (rows === undefined) {
			throw new ActorError("actor", "not_found", `The database has no table or view '${table}'`, {
				table,
			});
		}
		return jsonResponse({ actorId, name: record.name, isDatabaseEnabled: true, ...rows });
	} catch (error) {
		if (error instanceof inspect.ReadOnlyQueryError)
			throw new ActorError("inspector", error.reason, error.message);
		throw error;
	} finally {
		context.queries.settle(timeoutMs, performance.now() - started - waitedMs);
	}
}

function boundedInteger(
	raw: string | null,
	fallback: number,
	min: number,
	max: number,
	name: string,
): number {
	if (raw === null || raw === "") return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < min || value > max) {
		throw errors.invalid(`'${name}' must be an integer from ${min} to ${max}`);
	}
	return value;
}
