// Signed, expiring tokens for the examples: who the caller is comes from a
// token the server can verify, never from what the client merely claims.
// A real app would use its login system's tokens (a session cookie, a JWT
// from its identity provider); the shape of the checks stays the same.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { UserError } from "tenon";

/** Who a verified token says the caller is. */
export interface Identity {
	/** The user id. */
	userId: string;
	/** What the user may do, e.g. `approver`. */
	roles: string[];
}

interface Claims extends Identity {
	/** Expiry, ms since the epoch. */
	exp: number;
}

/** Shortest secret taken: with an empty one (`""` passes a `??`), anyone could sign tokens. */
export const MIN_SECRET_LENGTH = 16;

/**
 * The signing secret: `EXAMPLES_AUTH_SECRET`, else a random one for this
 * process (tokens then stop working when the server restarts).
 */
const SECRET = signingSecret(process.env.EXAMPLES_AUTH_SECRET);

/** The secret to sign with: `configured` if it is long enough (else it throws), or a random one. */
export function signingSecret(configured: string | undefined): string {
	if (configured === undefined) return randomBytes(32).toString("base64url");
	if (configured.length < MIN_SECRET_LENGTH)
		throw new Error(
			`EXAMPLES_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters: with a short one, anyone could sign tokens`,
		);
	return configured;
}

function sign(payload: string, secret: string): string {
	return createHmac("sha256", secret).update(payload).digest("base64url");
}

/**
 * Issues a token for `identity`, valid for `ttlMs` (default one hour). Only
 * the server (which holds the secret) can issue one: in an app, your login
 * endpoint would.
 */
export function issueToken(identity: Identity, ttlMs = 60 * 60 * 1000, secret = SECRET): string {
	const claims: Claims = { ...identity, exp: Date.now() + ttlMs };
	const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
	return `${payload}.${sign(payload, secret)}`;
}

const unauthorized = (reason: string) =>
	new UserError(`Unauthorized: ${reason}`, { code: "unauthorized" });

/** Verifies a token (signature, expiry, shape) and returns who it names; throws `user/unauthorized`. */
export function verifyToken(token: unknown, secret = SECRET): Identity {
	if (typeof token !== "string" || token.length > 2_048) throw unauthorized("a token is required");
	const [payload, signature, extra] = token.split(".");
	if (payload === undefined || signature === undefined || extra !== undefined)
		throw unauthorized("malformed token");
	const expected = Buffer.from(sign(payload, secret));
	const given = Buffer.from(signature);
	if (given.length !== expected.length || !timingSafeEqual(given, expected))
		throw unauthorized("bad signature");
	let claims: Partial<Claims>;
	try {
		claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
	} catch {
		throw unauthorized("malformed token");
	}
	if (
		typeof claims.userId !== "string" ||
		claims.userId === "" ||
		!Array.isArray(claims.roles) ||
		!claims.roles.every((role) => typeof role === "string") ||
		typeof claims.exp !== "number"
	) {
		throw unauthorized("malformed token");
	}
	if (claims.exp < Date.now()) throw unauthorized("expired token");
	return { userId: claims.userId, roles: claims.roles };
}

/** The token the client passed in its connection params (`{ token }`). */
export function tokenOf(params: unknown): unknown {
	return typeof params === "object" && params !== null
		? (params as { token?: unknown }).token
		: undefined;
}

/** Connection params that carry a token. */
export interface TokenParams {
	token: string;
}

/**
 * For actors that belong to one user, keyed by the user id: verifies the
 * token in `params` and that it names the key's user. Use it in both
 * `onBeforeCreate` (nobody creates another user's actor) and
 * `onBeforeConnect` (nobody opens it).
 */
export function requireOwner(key: readonly string[], params: unknown): Identity {
	const identity = verifyToken(tokenOf(params));
	if (key.length !== 1 || key[0] !== identity.userId) {
		throw new UserError("Forbidden: this belongs to another user", { code: "forbidden" });
	}
	return identity;
}

/**
 * For `onBeforeConnect` of actors whose conn state holds the `userId` of a
 * verified token: a client resuming a stored connection (`c.resuming`) must
 * be the user it was made for, and still have every role it was made with
 * (when it keeps `roles`). Its id and secret are a session key, and the conn
 * state is kept, not made again, on resume.
 */
export function checkResuming(
	resuming: { readonly state: unknown } | undefined,
	identity: Identity,
): void {
	if (resuming === undefined) return;
	const made = resuming.state as { userId?: unknown; roles?: unknown } | null;
	if (made?.userId !== identity.userId)
		throw new UserError("Forbidden: this connection belongs to another user", {
			code: "forbidden",
		});
	// Kept, not made again: a role taken away since would live on in it (an approver
	// demoted yesterday still approved through a resumed connection: an attacker probe).
	const lost = Array.isArray(made.roles)
		? made.roles.find((role) => !identity.roles.includes(role as string))
		: undefined;
	if (lost !== undefined)
		throw new UserError("Forbidden: this connection was made for a role you no longer have", {
			code: "forbidden",
		});
}
