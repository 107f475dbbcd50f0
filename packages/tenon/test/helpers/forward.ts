// A test proxy's forwarding: `req` (body read whole, hop headers dropped)
// sent on to `target` with fetch; the answer as fetch gives it.
import type { IncomingMessage } from "node:http";

const HOP_HEADERS = ["host", "connection", "content-length"];

export async function forwardRequest(target: string, req: IncomingMessage): Promise<Response> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(req.headers))
		if (typeof value === "string" && !HOP_HEADERS.includes(name)) headers[name] = value;
	return fetch(`${target}${req.url}`, {
		method: req.method,
		headers,
		...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
	});
}
