// Calls the inspector API with the token kept in sessionStorage (gone when
// the tab closes). Errors keep the server's `group/code`.

const TOKEN_KEY = "tenon-inspector-token";

/** An error answer of the API. */
export class ApiError extends Error {
	readonly group: string;
	readonly code: string;
	readonly status: number;
	constructor(status: number, group: string, code: string, message: string) {
		super(message);
		this.status = status;
		this.group = group;
		this.code = code;
	}
}

export function storedToken(): string | null {
	return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
	if (token === null) sessionStorage.removeItem(TOKEN_KEY);
	else sessionStorage.setItem(TOKEN_KEY, token);
}

/** `path` is relative to the app (`session`, `actors/...`): the app's URL is the API's base. */
export async function api<T>(
	path: string,
	options: { method?: string; body?: unknown; token?: string; params?: string } = {},
): Promise<T> {
	const token = options.token ?? storedToken() ?? "";
	const headers: Record<string, string> = { authorization: `Bearer ${token}` };
	if (options.body !== undefined) headers["content-type"] = "application/json";
	if (options.params !== undefined && options.params.trim() !== "")
		headers["x-rivet-conn-params"] = options.params;
	let response: Response;
	try {
		response = await fetch(path, {
			method: options.method ?? "GET",
			headers,
			cache: "no-store",
			...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
		});
	} catch (caught) {
		// The browser's own words ("Failed to fetch") said nothing of what happened.
		throw new ApiError(
			0,
			"client",
			"unreachable",
			`The server does not answer (${String(caught)})`,
		);
	}
	const text = await response.text();
	let json: unknown = null;
	try {
		json = text === "" ? null : JSON.parse(text);
	} catch {
		throw new ApiError(response.status, "http", "bad_response", text.slice(0, 200));
	}
	if (!response.ok) {
		const error = (json ?? {}) as { group?: string; code?: string; message?: string };
		// The server keeps an internal error's message and stack to its log, under the request's
		// id: say which (an admin's action that threw read only "An internal error occurred").
		const requestId = response.headers.get("x-request-id");
		const internal = error.group === "core" && error.code === "internal_error" && requestId;
		throw authChecked(
			new ApiError(
				response.status,
				error.group ?? "http",
				error.code ?? String(response.status),
				`${error.message ?? response.statusText}${internal ? ` (request ${requestId}: the server's log has what went wrong)` : ""}`,
			),
			path,
		);
	}
	return json as T;
}

/** The path of one actor's API. */
export function actorPath(actorId: string, rest = ""): string {
	return `actors/${encodeURIComponent(actorId)}${rest}`;
}

/** A message for an error of any kind. */
export function describeError(error: unknown): string {
	if (error instanceof ApiError) return `${error.group}/${error.code}: ${error.message}`;
	return error instanceof Error ? error.message : String(error);
}

/** Fired on `window` when an answer says the token may no longer be accepted (see the app). */
export const AUTH_FAILED_EVENT = "tenon-inspector-auth-failed";

/**
 * `error`, after telling the app when it is an `auth` refusal (401/403) of anything but the
 * session check itself: the app asks the session again, and back at the login screen when
 * the token is refused (a server restarted with another token left every panel red, and a
 * 403 every two seconds, with no way back but "Sign out": a walkthrough, 2026-11-29).
 */
export function authChecked(error: ApiError, path = ""): ApiError {
	if (
		error.group === "auth" &&
		(error.status === 401 || error.status === 403) &&
		path !== "session"
	)
		window.dispatchEvent(new Event(AUTH_FAILED_EVENT));
	return error;
}
