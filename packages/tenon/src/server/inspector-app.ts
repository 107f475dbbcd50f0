// Serves the inspector web app (built by `npm run build:inspector` into
// packages/tenon/inspector-dist, which ships with the package) at
// `/inspector/`. Its files need no credential: the app asks for the
// inspector or admin token and sends it with each API call.

import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the built app is: packages/tenon/inspector-dist, from src/server or dist/server. */
const DIST = fileURLToPath(new URL("../../inspector-dist/", import.meta.url));

const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
	".json": "application/json",
	".woff2": "font/woff2",
};

/**
 * The app's only sources are its own files and its own API: no inline
 * script or style, no other origin, never inside a frame.
 */
export const INSPECTOR_CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join("; ");

/** True for the paths of the app (as opposed to its API): `/inspector`, `/inspector/`, `/inspector/assets/*`. */
export function isInspectorAppPath(path: string): boolean {
	return path === "/inspector" || path === "/inspector/" || path.startsWith("/inspector/assets/");
}

/** Answers a request for the app's files (GET or HEAD on {@link isInspectorAppPath}). */
export async function serveInspectorApp(request: Request, path: string): Promise<Response> {
	if (path === "/inspector") {
		// Relative: the app's asset paths are relative too, so a base path just works.
		return new Response(null, { status: 308, headers: { location: "inspector/" } });
	}
	const relative = path === "/inspector/" ? "index.html" : path.slice("/inspector/".length);
	const file = normalize(join(DIST, relative));
	let body: Buffer | undefined;
	if (file.startsWith(DIST.endsWith(sep) ? DIST : DIST + sep)) {
		body = await readFile(file).catch(() => undefined);
	}
	if (body === undefined) {
		const missing =
			relative === "index.html"
				? "the inspector is not built (npm run build:inspector)"
				: "not found";
		return new Response(missing, {
			status: 404,
			headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
		});
	}
	// Built assets carry a content hash in their names: cache them for good; the page never.
	const hashed = relative.startsWith("assets/");
	return new Response(request.method === "HEAD" ? null : new Uint8Array(body), {
		headers: {
			"content-type": TYPES[extname(file)] ?? "application/octet-stream",
			"cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
			"content-security-policy": INSPECTOR_CSP,
			"x-content-type-options": "nosniff",
			"x-frame-options": "DENY",
			"referrer-policy": "no-referrer",
		},
	});
}
