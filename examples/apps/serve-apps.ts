// Serves the example web apps (prebuilt in ./dist by `npm run build:apps`) at
// /apps/ from the same origin as the actors, and the demo sign-in they use.
// Given to `registry.start({ fallback })`: Tenon's own routes come first.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { FallbackInfo } from "tenon";
import { issueToken, verifyToken } from "../auth/tokens.js";

const DIST = join(import.meta.dirname, "dist");
/**
 * The apps' Content Security Policy. Styles may be inline (the editor's code view injects its
 * own); everything else comes from this origin, and WebSockets go back to it.
 */
const APPS_CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self' 'unsafe-inline'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".json": "application/json",
};
/** How long a demo sign-in lasts; a page renews it whenever it loads. */
const SESSION_MS = 24 * 60 * 60 * 1000;
/** The user ids the demo sign-in hands out, and the only ones it renews. */
const GUEST = /^guest-[0-9a-f]{10}$/;
/**
 * New guests one client address gets per hour. Each guest is a new user to every per-user
 * limit of the examples (a shop's stock per customer, prompts per user): unbounded, a client
 * could be as many users as it liked (a review, 2026-11-27). Renewing a guest is not counted.
 */
export const NEW_GUESTS_PER_HOUR = 20;
const HOUR_MS = 60 * 60 * 1000;
/** Addresses remembered at most (the oldest are forgotten first). */
const ADDRESSES = 10_000;
const newGuests = new Map<string, { count: number; since: number }>();

/**
 * Counts a new guest for a client (its `clientKey`: an IPv6 address by its /64, as Tenon's own
 * per-address limits count); false once it had its share this hour.
 */
function admitNewGuest(client: string | undefined): boolean {
	const key = client ?? "";
	const now = Date.now();
	let window = newGuests.get(key);
	if (window === undefined || now - window.since >= HOUR_MS) {
		newGuests.delete(key);
		window = { count: 0, since: now };
		newGuests.set(key, window);
		if (newGuests.size > ADDRESSES) newGuests.delete(newGuests.keys().next().value as string);
	}
	if (window.count >= NEW_GUESTS_PER_HOUR) return false;
	window.count++;
	return true;
}

/**
 * The demo sign-in (`POST /apps/login`): a guest identity the server makes
 * up, never one the caller names. Who holds a guest's valid token (a page
 * keeps it in localStorage) gets that guest again with a fresh token; anyone
 * else gets a new guest. So it signs in as nobody who exists already (not
 * `alice`, not another guest): a real app signs users in with a password or
 * an identity provider instead.
 */
async function demoSignIn(request: Request, info: FallbackInfo): Promise<Response> {
	const text = await readSmall(request, 4_096);
	if (text === undefined) return Response.json({ error: "body too large" }, { status: 413 });
	let kept: unknown;
	try {
		kept = (JSON.parse(text) as { token?: unknown } | null)?.token;
	} catch {
		// No body, or not JSON: nothing to renew.
	}
	let userId: string | undefined;
	if (kept !== undefined) {
		try {
			const { userId: holder } = verifyToken(kept);
			if (GUEST.test(holder)) userId = holder;
		} catch {
			// Expired, forged, or signed with another secret: a new guest.
		}
	}
	if (userId === undefined) {
		if (!admitNewGuest(info.clientKey))
			return Response.json(
				{ error: "too many new sign-ins from this address; try again later" },
				{ status: 429, headers: { "retry-after": "3600" } },
			);
		userId = `guest-${randomBytes(5).toString("hex")}`;
	}
	return Response.json({ userId, token: issueToken({ userId, roles: [] }, SESSION_MS) });
}

/**
 * The request's body as text, or undefined past `maxBytes`: the fallback gets
 * requests as they come (Tenon's body limits are for its own routes), and a
 * sign-in has no reason to read megabytes.
 */
async function readSmall(request: Request, maxBytes: number): Promise<string | undefined> {
	if (request.body === null) return "";
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) return Buffer.concat(chunks).toString("utf8");
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel();
			return undefined;
		}
		chunks.push(value);
	}
}

/** The example apps and their demo sign-in; undefined for anything else (Tenon answers 404). */
export async function serveApps(
	request: Request,
	info: FallbackInfo,
): Promise<Response | undefined> {
	const url = new URL(request.url);
	if (url.pathname === "/apps/login" && request.method === "POST") return demoSignIn(request, info);
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
			// Scripts from here only, and no page may frame an app (an attacker probe, 2026-11-27:
			// a page on a sibling port framed the board and clicked as its visitor's guest).
			"content-security-policy": APPS_CSP,
			"x-frame-options": "DENY",
		},
	});
}
