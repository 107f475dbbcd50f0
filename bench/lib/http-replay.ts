// Sends the HTTP request a client makes for one call, many times over, for
// other actor keys, over keep-alive `node:http` sockets. The request is
// captured from the client itself (same URL form, headers and body), so the
// server does exactly the work the client's call causes; only the sending
// side is lighter: on 2 cores, `fetch` and the client cost the runner about
// as much CPU per call as the server spends waking the actor.
import { Agent, request } from "node:http";

/** One HTTP request as a client would send it. */
export interface CapturedRequest {
	url: string;
	method: string;
	headers: Record<string, string>;
	body: Uint8Array | undefined;
}

/** Returned by the capturing fetch, so the call fails at once instead of sending. */
class Captured extends Error {}

/**
 * The request `call` makes through the `fetch` it is given, captured and not
 * sent (the call then fails, which is expected and ignored).
 */
export async function captureRequest(
	call: (fetch: typeof globalThis.fetch) => Promise<unknown>,
): Promise<CapturedRequest> {
	let captured: CapturedRequest | undefined;
	const capture = async (input: string | URL | Request, init: RequestInit = {}) => {
		const body = init.body;
		if (
			body !== undefined &&
			body !== null &&
			typeof body !== "string" &&
			!ArrayBuffer.isView(body)
		)
			throw new Error("captureRequest: only string and byte bodies are replayed");
		captured = {
			url: String(input instanceof Request ? input.url : input),
			method: init.method ?? "GET",
			headers: Object.fromEntries(new Headers(init.headers)),
			body:
				typeof body === "string"
					? new TextEncoder().encode(body)
					: body
						? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
						: undefined,
		};
		throw new Captured("captured");
	};
	try {
		await call(capture as typeof globalThis.fetch);
	} catch {
		// Expected: the capturing fetch never answers.
	}
	if (!captured) throw new Error("captureRequest: the call sent no request");
	return captured;
}

/** Replays a captured request with other query parameters, over at most `sockets` keep-alive sockets. */
export class RequestReplay {
	readonly #request: CapturedRequest;
	readonly #agent: Agent;

	constructor(captured: CapturedRequest, sockets: number) {
		this.#request = captured;
		this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
	}

	/** Sends the request with `query` parameters set (e.g. another `rvt-key`); rejects unless 2xx. */
	send(query: Record<string, string>): Promise<void> {
		const url = new URL(this.#request.url);
		for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
		const body = this.#request.body;
		return new Promise((resolve, reject) => {
			const req = request(
				url,
				{
					method: this.#request.method,
					headers: {
						...this.#request.headers,
						...(body ? { "content-length": String(body.byteLength) } : {}),
					},
					agent: this.#agent,
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on("data", (chunk: Buffer) => chunks.push(chunk));
					res.on("end", () => {
						const status = res.statusCode ?? 0;
						if (status >= 200 && status < 300) resolve();
						else
							reject(
								new Error(`HTTP ${status}: ${Buffer.concat(chunks).toString().slice(0, 200)}`),
							);
					});
					res.on("error", reject);
				},
			);
			req.on("error", reject);
			req.end(body);
		});
	}

	/** Closes the sockets. */
	close(): void {
		this.#agent.destroy();
	}
}
