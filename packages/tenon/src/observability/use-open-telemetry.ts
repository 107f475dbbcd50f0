// The public way to hand Tenon the OpenTelemetry API. Kept apart from
// otel-api.ts so the published types do not name `@opentelemetry/api`: an
// application without the optional package still type-checks Tenon's.

import { setOtelApi } from "./otel-api.js";

/**
 * Uses this copy of `@opentelemetry/api` for Tenon's spans and trace context.
 * Node needs no call (Tenon loads the API itself when it is installed); a
 * bundled browser app does, since Tenon cannot load an optional package there.
 *
 * @example
 * import * as otel from "@opentelemetry/api";
 * import { useOpenTelemetry } from "tenon/client";
 * useOpenTelemetry(otel);
 */
export function useOpenTelemetry(api: object): void {
	setOtelApi(api);
}
