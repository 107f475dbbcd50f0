// Raw HTTP and WebSocket access to a test server, as an attacker (or a
// foreign client) would use it: exact bytes in, status and decoded body out.
import { connect } from "node:net";
import { Encoder } from "cbor-x";
import { WebSocket } from "ws";

/** A CBOR codec with no extensions (what other CBOR implementations send). */
export const plainCbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** An HTTP answer: status, headers and the decoded body (JSON or CBOR). */
export interface RawAnswer {
	status: number;
	headers: Headers;
	body: any;
}

/** Sends a request and decodes the answer, whatever its encoding. */
export async function rawRequest(
	url: string,
	init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
	const response = await fetch(url, init);
	const bytes = new Uint8Array(await response.arrayBuffer());
	let body: unknown;
	if (bytes.length > 0) {
		const type = response.headers.get("content-type") ?? "";
		body = type.includes("json")
			? JSON.parse(new TextDecoder().decode(bytes))
			: type.includes("octet-stream") || type.includes("cbor")
				? plainCbor.decode(bytes)
				: new TextDecoder().decode(bytes);
	}
	return { status: response.status, headers: response.headers, body };
}

/** POSTs a JSON text body. */
export function postJson(
	url: string,
	body: string,
	headers: Record<string, string> = {},
): Promise<RawAnswer> {
	return rawRequest(url, {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body,
	});
}

/** POSTs CBOR bytes. */
export function postCbor(
	url: string,
	body: Uint8Array,
	headers: Record<string, string> = {},
): Promise<RawAnswer> {
	return rawRequest(url, {
		method: "POST",
		headers: {
			"content-type": "application/octet-stream",
			"x-rivet-encoding": "cbor",
			...headers,
		},
		body: body as BodyInit,
	});
}

/** `{ status, group, code }` of an answer, for compact assertions. */
export function outcome(answer: RawAnswer): { status: number; group?: string; code?: string } {
	return { status: answer.status, group: answer.body?.group, code: answer.body?.code };
}

/** A raw WebSocket with its received messages and its close. */
export interface RawSocket {
	ws: WebSocket;
	/** Messages received so far (text as strings, binary as Uint8Array). */
	messages: (string | Uint8Array)[];
	closed: Promise<{ code: number; reason: string }>;
	/** Messages decoded (JSON text or CBOR binary). */
	decoded(): any[];
}

/** Opens a WebSocket and waits for it to open (or rejects with the upgrade error). */
export async function rawSocket(
	url: string,
	protocols: string[],
	headers: Record<string, string> = {},
): Promise<RawSocket> {
	const ws = new WebSocket(url, protocols, { headers });
	const messages: (string | Uint8Array)[] = [];
	ws.on("message", (data: Buffer, isBinary: boolean) =>
		messages.push(isBinary ? new Uint8Array(data) : data.toString("utf8")),
	);
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
	);
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
		ws.once("unexpected-response", (_request, response) =>
			reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)),
		);
	});
	return {
		ws,
		messages,
		closed,
		decoded: () =>
			messages.map((m) => (typeof m === "string" ? JSON.parse(m) : plainCbor.decode(m))),
	};
}

/**
 * An HTTP request with exactly these headers (fetch would override `Host`),
 * over node:http. The body is sent as is.
 */
export async function exactRequest(
	url: string,
	options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<RawAnswer> {
	const { request } = await import("node:http");
	const target = new URL(url);
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: target.hostname,
				port: target.port,
				path: `${target.pathname}${target.search}`,
				method: options.method ?? "GET",
				headers: options.headers ?? {},
				setHost: !Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === "host"),
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (chunk: Buffer) => chunks.push(chunk));
				res.on("end", () => {
					const text = Buffer.concat(chunks).toString("utf8");
					const headers = new Headers();
					for (const [name, value] of Object.entries(res.headers)) {
						if (typeof value === "string") headers.set(name, value);
					}
					let body: unknown = text;
					try {
						body = text === "" ? undefined : JSON.parse(text);
					} catch {
						// not JSON: keep the text
					}
					resolve({ status: res.statusCode ?? 0, headers, body });
				});
			},
		);
		req.on("error", reject);
		if (options.body !== undefined) req.write(options.body);
		req.end();
	});
}

/** Tries a WebSocket upgrade and reports how it ended: opened (and its first message) or refused (HTTP status). */
export async function tryUpgrade(
	url: string,
	protocols: string[],
	headers: Record<string, string>,
): Promise<{
	opened: boolean;
	status?: number;
	firstMessage?: string;
	close?: { code: number; reason: string };
}> {
	const ws = new WebSocket(url, protocols, { headers });
	return new Promise((resolve) => {
		ws.once("unexpected-response", (_request, response) => {
			resolve({ opened: false, status: response.statusCode ?? 0 });
			response.resume();
			ws.terminate();
		});
		ws.once("error", () => resolve({ opened: false }));
		ws.once("message", (data: Buffer) => {
			resolve({ opened: true, firstMessage: data.toString("utf8") });
			ws.close();
		});
		ws.once("close", (code, reason) =>
			resolve({ opened: true, close: { code, reason: reason.toString() } }),
		);
	});
}

/**
 * Writes `bytes` (a request's head, say, with no body after it) to the server
 * at `base` on a socket of its own: what the server answers so far, and the
 * socket to end.
 */
export function writeRaw(base: string, bytes: string): { answer(): string; destroy(): void } {
	const { port, hostname } = new URL(base);
	const socket = connect(Number(port), hostname);
	let answer = "";
	socket.on("data", (data) => {
		answer += data.toString("latin1");
	});
	socket.on("error", () => {});
	socket.write(bytes);
	return { answer: () => answer, destroy: () => socket.destroy() };
}
