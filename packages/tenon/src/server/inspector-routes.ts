import { timingSafeEqual } from "node:crypto";
import { ActorError, errors } from "../protocol/errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { readWorkflowHistory } from "../workflow/history.js";
import { isWorkflowRun } from "../workflow/index.js";
import { jsonResponse } from "./http-util.js";

const WORKFLOW_ROUTE = /^\/inspector\/actors\/([^/]+)\/workflow$/;

function authorized(request: Request, token: string): boolean {
	const header = request.headers.get("authorization");
	const given =
		header?.toLowerCase().startsWith("bearer ") === true
			? header.slice(7).trim()
			: (request.headers.get("x-rivet-token") ?? "");
	const a = Buffer.from(given);
	const b = Buffer.from(token);
	return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/inspector/*`: read-only views for tools, behind a bearer token
 * (`inspector.token` or `TENON_INSPECTOR_TOKEN`); disabled without one.
 *
 * `GET /inspector/actors/{actorId}/workflow` returns the actor's workflow
 * status and journal (entries, status, attempts, errors) as committed.
 */
export async function handleInspector(
	request: Request,
	path: string,
	runtime: Runtime,
	token: string | undefined,
): Promise<Response | undefined> {
	if (path !== "/inspector" && !path.startsWith("/inspector/")) return undefined;
	if (token === undefined || token === "") {
		throw new ActorError(
			"auth",
			"inspector_disabled",
			"The inspector is disabled: configure inspector.token (or TENON_INSPECTOR_TOKEN)",
		);
	}
	if (!authorized(request, token)) {
		throw new ActorError("auth", "forbidden", "A valid inspector token is required");
	}
	const match = WORKFLOW_ROUTE.exec(path);
	if (!match) throw errors.routeNotFound(request.method, path);
	if (request.method !== "GET") throw errors.methodNotAllowed(request.method, path);
	let actorId: string;
	try {
		actorId = decodeURIComponent(match[1] as string);
	} catch {
		throw errors.invalid("the actor id is not valid URL encoding");
	}
	const record = await runtime.host.getLiveRecord(actorId);
	const definition = runtime.host.definition(record.name);
	const enabled = isWorkflowRun(definition.config.run);
	return jsonResponse({
		actorId,
		name: record.name,
		isWorkflowEnabled: enabled,
		history: enabled ? await readWorkflowHistory(runtime.storage.store, actorId) : null,
	});
}
