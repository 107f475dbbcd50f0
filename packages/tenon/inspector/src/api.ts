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
	const response = await fetch(path, {
		method: options.method ?? "GET",
		headers,
		cache: "no-store",
		...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
	});
	const text = await response.text();
	let json: unknown = null;
	try {
		json = text === "" ? null : JSON.parse(text);
	} catch {
		throw new ApiError(response.status, "http", "bad_response", text.slice(0, 200));
	}
	if (!response.ok) {
		const error = (json ?? {}) as { group?: string; code?: string; message?: string };
		throw new ApiError(
			response.status,
			error.group ?? "http",
			error.code ?? String(response.status),
			error.message ?? response.statusText,
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
