// Plain HTTP calls from the runner, over keep-alive `node:http` sockets. Since
// 2026-11-25 Tenon's client sends its calls from Node this way (Node's fetch
// cost a small call about 2x the latency and 3.5x the client's CPU), so the
// floor and the peers called without a client library (workerd, Restate) get
// the same, cheapest Node client: a row then compares the servers.
import { Agent, request } from "node:http";

/** A status and a text body. */
export interface PlainAnswer {
	status: number;
	text: string;
}

/** Sends plain HTTP requests over one keep-alive agent (sockets opened as calls need them). */
export class PlainHttp {
	readonly #agent = new Agent({ keepAlive: true });

	/** Sends `method` to `url` with an optional text `body`; the whole answer as text. */
	send(
		method: string,
		url: string,
		body?: string,
		headers: Record<string, string> = {},
	): Promise<PlainAnswer> {
		return new Promise((resolve, reject) => {
			const req = request(
				url,
				{
					method,
					agent: this.#agent,
					headers:
						body === undefined
							? headers
							: { ...headers, "content-length": String(Buffer.byteLength(body)) },
				},
				(res) => {
					let text = "";
					res.setEncoding("utf8");
					res.on("data", (chunk: string) => {
						text += chunk;
					});
					res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
					res.on("error", reject);
				},
			);
			req.on("error", reject);
			req.end(body);
		});
	}

	/** Closes the idle sockets. */
	close(): void {
		this.#agent.destroy();
	}
}
