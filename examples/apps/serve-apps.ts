// Serves the example web apps (prebuilt in ./dist by `npm run build:apps`) at
// /apps/ from the same origin as the actors, and the demo sign-in they use.
// Given to `registry.start({ fallback })`: Tenon's own routes come first.
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { issueToken } from "../auth/tokens.js";

const DIST = join(import.meta.dirname, "dist");
const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".json": "application/json",
};
/** A name to sign in with: what a demo login accepts (a real one checks a password). */
const NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** The example apps and their demo sign-in; undefined for anything else (Tenon answers 404). */
export async function serveApps(request: Request): Promise<Response | undefined> {
	const url = new URL(request.url);
	if (url.pathname === "/apps/login" && request.method === "POST") {
		const name = url.searchParams.get("name") ?? "";
		if (!NAME.test(name))
			return Response.json({ error: "name: 1-32 of A-Z a-z 0-9 _ -" }, { status: 400 });
		// Demo only: anyone may sign in as any name. Tokens last a day.
		return Response.json({ token: issueToken({ userId: name, roles: [] }, 24 * 60 * 60 * 1000) });
	}
	if (request.method !== "GET" && request.method !== "HEAD") return undefined;
	if (url.pathname === "/" || url.pathname === "/apps")
		return Response.redirect(new URL("/apps/", url), 302);
	if (!url.pathname.startsWith("/apps/")) return undefined;
	let relative: string;
	try {
		relative = decodeURIComponent(url.pathname.slice("/apps/".length));
	} catch {
		// Not UTF-8 once decoded (`%E0`): no such file, and no error logged for it.
		return new Response("Bad request: a malformed path", { status: 400 });
	}
	if (relative === "" || relative.endsWith("/")) relative += "index.html";
	const file = normalize(join(DIST, relative));
	// Never outside dist (`..`, encoded or not).
	if (!file.startsWith(DIST + sep)) return undefined;
	let body: Buffer;
	try {
		body = await readFile(file);
	} catch {
		return undefined;
	}
	const hashed = relative.startsWith("assets/");
	return new Response(request.method === "HEAD" ? null : new Uint8Array(body), {
		headers: {
			"content-type": TYPES[extname(file)] ?? "application/octet-stream",
			// Built assets carry a content hash in their names: cache them for good; pages never.
			"cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
			"x-content-type-options": "nosniff",
		},
	});
}
