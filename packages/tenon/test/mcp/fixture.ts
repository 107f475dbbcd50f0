// What the MCP tests share: the Tenon client the MCP tools call through, and
// a raw POST to the MCP route.
import { type AnyRegistry, type Client, createClient } from "../../src/client/index.js";

/**
 * A Tenon client made before the server listens (the MCP handler, its
 * fallback, needs it): its requests go to the URL `listening` gives it.
 */
export function lateBoundClient<R extends AnyRegistry>(): {
	client: Client<R>;
	listening(url: string): void;
} {
	let serverUrl: string | undefined;
	const client = createClient<R>({
		endpoint: "http://tenon.invalid",
		fetch: (input, init) => {
			if (serverUrl === undefined) throw new Error("the server is not listening yet");
			const url = new URL(input instanceof Request ? input.url : String(input));
			return fetch(new URL(`${url.pathname}${url.search}`, serverUrl), init);
		},
	});
	return {
		client,
		listening: (url) => {
			serverUrl = url;
		},
	};
}

/** A POST of `body` to the MCP route of the server at `serverUrl`, as MCP clients send it. */
export function mcpPost(
	serverUrl: string,
	body: string | ReadableStream<Uint8Array>,
	headers: Record<string, string> = {},
): Promise<Response> {
	return fetch(new URL("/mcp", serverUrl), {
		method: "POST",
		headers: {
			"content-type": "application/json",
			accept: "application/json, text/event-stream",
			...headers,
		},
		body,
		...(typeof body === "string" ? {} : { duplex: "half" }),
	} as RequestInit);
}
