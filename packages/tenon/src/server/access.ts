import { createHash, timingSafeEqual } from "node:crypto";
import { ActorError } from "../protocol/errors.js";
import type { RequestHead } from "./incoming.js";

/** Credentials the server checks. */
export interface AccessOptions {
	/**
	 * Guards management and operator routes (listing actors, destroying them,
	 * the inspector). Without it those routes are disabled.
	 */
	adminToken?: string | undefined;
	/** Also opens `/inspector/*` (read-only operator views). */
	inspectorToken?: string | undefined;
	/** When set, every client request must carry this token (see docs/security.md). */
	clientToken?: string | undefined;
	/** Opens `/metrics` only: a scraper's credential that reads no actor data. */
	metricsToken?: string | undefined;
}

/** Constant-time comparison (hashes first, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
	const a = createHash("sha256").update(given).digest();
	const b = createHash("sha256").update(expected).digest();
	return timingSafeEqual(a, b);
}

/** The credential a request presents: `Authorization: Bearer <t>`, else `x-rivet-token`. */
export function presentedCredential(request: RequestHead): string | undefined {
	const header = request.headers.get("authorization");
	if (header !== null && /^bearer\s/i.test(header)) return header.slice(7).trim();
	return request.headers.get("x-rivet-token") ?? undefined;
}

const accessErrors = {
	adminDisabled: () =>
		new ActorError(
			"auth",
			"admin_disabled",
			"This route needs the admin token, and none is configured: set admin.token (or TENON_ADMIN_TOKEN)",
		),
	unauthorized: (what: string) =>
		new ActorError(
			"auth",
			"unauthorized",
			`${what} needs a token: send it as 'Authorization: Bearer <token>'`,
		),
	forbidden: (what: string) =>
		// Not "not valid": a valid read-only (inspector) token gets it on an admin route too.
		new ActorError("auth", "forbidden", `${what}: the token sent does not allow it`),
};

/**
 * Who may use which route. Admin routes need the admin token; the inspector
 * takes the admin or the inspector token; with a client token configured,
 * client routes need it (or the admin token).
 */
export class AccessPolicy {
	readonly #options: AccessOptions;

	constructor(options: AccessOptions) {
		for (const [name, value] of Object.entries(options)) {
			if (value !== undefined && value.length < 16) {
				throw new Error(`${name} must be at least 16 characters (use a random secret)`);
			}
			// One no header can carry (HTTP trims spaces; controls and other characters than
			// ASCII do not pass) was taken, and then nobody could present it.
			if (value !== undefined && !/^[\x21-\x7e]+$/.test(value)) {
				throw new Error(`${name} must be visible ASCII characters, without spaces`);
			}
		}
		this.#options = options;
	}

	/** True when management routes are enabled (an admin token is configured). */
	get adminEnabled(): boolean {
		return this.#options.adminToken !== undefined;
	}

	/** Throws unless `request` carries the admin token. */
	requireAdmin(request: Request, what: string): void {
		const admin = this.#options.adminToken;
		if (admin === undefined) throw accessErrors.adminDisabled();
		const given = presentedCredential(request);
		if (given === undefined) throw accessErrors.unauthorized(what);
		if (!sameSecret(given, admin)) throw accessErrors.forbidden(what);
	}

	/** Throws unless `request` carries the admin or the inspector token. */
	requireInspector(request: Request): void {
		this.requireOperatorRead(request, "The inspector", "inspector_disabled");
	}

	/**
	 * Throws unless `request` carries the admin or the inspector token (the
	 * read-only operator routes: `/inspector/*`, `/metrics`). Without either
	 * token configured, `auth/<disabledCode>`.
	 */
	requireOperatorRead(
		request: Request,
		what: string,
		disabledCode: string,
		alsoToken?: string | undefined,
		alsoName?: { option: string; env: string; token: string },
	): void {
		const { adminToken, inspectorToken } = this.#options;
		if (adminToken === undefined && inspectorToken === undefined && alsoToken === undefined) {
			// The route's own token first (metrics: the one a scraper should get).
			const also = alsoName === undefined ? "" : `${alsoName.option}, `;
			const alsoEnv = alsoName === undefined ? "" : `${alsoName.env} / `;
			throw new ActorError(
				"auth",
				disabledCode,
				`${what} is disabled: configure ${also}admin.token or inspector.token (${alsoEnv}TENON_ADMIN_TOKEN / TENON_INSPECTOR_TOKEN)`,
			);
		}
		const given = presentedCredential(request);
		if (given === undefined) throw accessErrors.unauthorized(what);
		const ok =
			(adminToken !== undefined && sameSecret(given, adminToken)) ||
			(inspectorToken !== undefined && sameSecret(given, inspectorToken)) ||
			(alsoToken !== undefined && sameSecret(given, alsoToken));
		if (!ok)
			throw new ActorError(
				"auth",
				"forbidden",
				`${what} needs a valid ${alsoName === undefined ? "" : `${alsoName.token}, `}admin or inspector token`,
			);
	}

	/** Throws unless `request` carries the admin, the inspector or the metrics token. */
	requireMetrics(request: Request): void {
		this.requireOperatorRead(
			request,
			"The metrics endpoint",
			"metrics_disabled",
			this.#options.metricsToken,
			{ option: "metricsToken", env: "TENON_METRICS_TOKEN", token: "metrics" },
		);
	}

	/**
	 * Which credential an inspector request carries (after {@link requireInspector}
	 * passed): `admin` may change actors, `inspector` only reads.
	 */
	inspectorRole(request: Request): "admin" | "inspector" {
		const { adminToken } = this.#options;
		const given = presentedCredential(request);
		return adminToken !== undefined && given !== undefined && sameSecret(given, adminToken)
			? "admin"
			: "inspector";
	}

	/**
	 * Checks a client request's token when a client token is configured (the
	 * admin token also passes). Without one, the token is left to the hooks.
	 * `internal` requests (the server's own actors' calls, `c.client()`) carry
	 * none and pass: with a client token set, every one failed
	 * `auth/unauthorized` before 2026-11-29.
	 */
	checkClient(token: string | undefined, internal: boolean): void {
		const { clientToken, adminToken } = this.#options;
		if (clientToken === undefined || internal) return;
		if (token === undefined) throw accessErrors.unauthorized("This server");
		const ok =
			sameSecret(token, clientToken) || (adminToken !== undefined && sameSecret(token, adminToken));
		if (!ok) throw accessErrors.forbidden("This server");
	}
}
