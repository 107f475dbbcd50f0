import type { MetricsExposition } from "../observability/metrics.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { AccessPolicy } from "./access.js";

/**
 * `GET /metrics`: the node's metrics in the Prometheus text format (see
 * docs/observability.md), behind the admin or the inspector token like
 * `/inspector/*`; `auth/metrics_disabled` without either, or when the
 * registry turned metrics off. Returns undefined for other paths.
 */
export async function handleMetrics(
	request: Request,
	path: string,
	access: AccessPolicy,
	metrics: MetricsExposition | undefined,
): Promise<Response | undefined> {
	if (path !== "/metrics") return undefined;
	access.requireMetrics(request);
	if (metrics === undefined) {
		throw new ActorError(
			"auth",
			"metrics_disabled",
			"Metrics are turned off for this registry (metrics: false)",
		);
	}
	if (request.method !== "GET" && request.method !== "HEAD")
		throw errors.methodNotAllowed(request.method, path);
	const body = await metrics.render();
	return new Response(request.method === "HEAD" ? null : body, {
		headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
	});
}
