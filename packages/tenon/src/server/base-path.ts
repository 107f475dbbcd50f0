// The registry's `basePath` under which Tenon's routes are served, and the probes among them.

/** The path under `basePath` (undefined: outside it). */
export function stripBasePath(pathname: string, basePath: string): string | undefined {
	if (basePath === "/") return pathname;
	if (pathname === basePath) return "/";
	if (pathname.startsWith(`${basePath}/`)) return pathname.slice(basePath.length);
	return undefined;
}

/** `basePath` as the server uses it: `/`, or a prefix with a leading and no trailing slash. */
export function normalizeBasePath(basePath: string | undefined): string {
	if (basePath === undefined || basePath === "" || basePath === "/") return "/";
	const withSlash = basePath.startsWith("/") ? basePath : `/${basePath}`;
	return withSlash.endsWith("/") ? withSlash.slice(0, -1) : withSlash;
}

/** Paths of the health and readiness probes (GET or HEAD). */
const PROBE_PATHS = new Set(["/health", "/healthz", "/ready", "/readyz"]);

/** A health or readiness probe: a GET or HEAD of one of {@link PROBE_PATHS}. */
export function isProbe(request: Request, basePath: string): boolean {
	if (request.method !== "GET" && request.method !== "HEAD") return false;
	const url = request.url;
	const start = url.indexOf("/", url.indexOf("//") + 2);
	if (start < 0) return false;
	const query = url.indexOf("?", start);
	const path = stripBasePath(url.slice(start, query < 0 ? undefined : query), basePath);
	return path !== undefined && PROBE_PATHS.has(path);
}
