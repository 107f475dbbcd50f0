import { injectTraceHeaders } from "../observability/trace-context.js";
import { traceClusterForward } from "../observability/tracing.js";
import { ActorError } from "../protocol/errors.js";
import { OwnedElsewhereError } from "../storage/interfaces.js";
import {
	CLUSTER_HEADERS,
	FORWARDED_FOR_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	PEER_HEADER,
} from "./headers.js";

const MAX_HOPS = 2;

/** Headers not copied to a forwarded request or response. */
const HOP_BY_HOP = new Set([
	"host",
	"connection",
	"keep-alive",
	"transfer-encoding",
	"content-length",
	"content-encoding",
	"upgrade",
	...CLUSTER_HEADERS,
]);

/** How to forward: the lease time to retry within, and what proves this node to its peers. */
export interface ForwardOptions {
	leaseTtlMs: number;
	/** The cluster secret (sent as {@link PEER_HEADER}). */
	peerSecret: string;
	/** The original client's address, passed on. */
	forwardedFor: string | undefined;
	/** An actor made the request (passed on, so the owner's hooks see `c.request.internal`). */
	internal: boolean;
	/** The request's id: the owner logs the call under the id the client gets back. */
	requestId?: string;
}

/** The owner could not be reached in time, or ownership kept moving. */
export function actorUnavailable(reason: string): ActorError {
	return new ActorError(
		"actor",
		"unavailable",
		`The actor's node could not be reached (${reason}); try again`,
	);
}

/** How many times a request was forwarded already. */
export function hopsOf(request: {
	readonly headers: { get(name: string): string | null };
}): number {
	const hops = Number(request.headers.get(HOPS_HEADER) ?? "0");
	return Number.isInteger(hops) && hops >= 0 ? hops : MAX_HOPS;
}

/** True for errors that mean "nothing reached the owner" (safe to try again). */
export function isConnectFailure(error: unknown): boolean {
	for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
		const code = (cause as { code?: unknown }).code;
		if (
			code === "ECONNREFUSED" ||
			code === "EHOSTUNREACH" ||
			code === "ENETUNREACH" ||
			code === "ENOTFOUND" ||
			code === "UND_ERR_CONNECT_TIMEOUT"
		) {
			return true;
		}
		if (cause === (cause as { cause?: unknown }).cause) break;
	}
	return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Serves a request here, or on the node that owns its actor: `serve` runs it
 * locally and throws {@link OwnedElsewhereError} when another node owns the
 * actor; the request (its body buffered by the caller) is then forwarded.
 * If the owner cannot be reached (it died), this retries until its lease
 * expires and the actor can be taken over here.
 */
export async function serveOrForward(
	request: Request,
	body: Uint8Array | undefined,
	options: ForwardOptions,
	serve: (request: Request) => Promise<Response>,
): Promise<Response> {
	const deadline = Date.now() + options.leaseTtlMs + 2_000;
	const hops = hopsOf(request);
	for (let attempt = 0; ; attempt++) {
		const local = new Request(request.url, {
			method: request.method,
			headers: request.headers,
			...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
		});
		let owner: OwnedElsewhereError["owner"];
		try {
			return await serve(local);
		} catch (error) {
			if (!(error instanceof OwnedElsewhereError)) throw error;
			owner = error.owner;
		}
		if (hops >= MAX_HOPS) throw actorUnavailable("its ownership kept moving");
		try {
			return await traceClusterForward({ ...owner, hops: hops + 1 }, () =>
				forward(request, body, owner.address, hops + 1, options),
			);
		} catch (error) {
			if (!isConnectFailure(error)) {
				throw actorUnavailable(
					"the owner failed while handling the request; its outcome is unknown",
				);
			}
			if (Date.now() > deadline) throw actorUnavailable(`node ${owner.nodeId} does not answer`);
			await sleep(Math.min(50 * 2 ** attempt, 500));
		}
	}
}

/** Sends `request` to `address` (same path and query) and returns its response. */
async function forward(
	request: Request,
	body: Uint8Array | undefined,
	address: string,
	hops: number,
	options: ForwardOptions,
): Promise<Response> {
	const url = new URL(request.url);
	const target = new URL(`${url.pathname}${url.search}`, address);
	const headers = new Headers();
	request.headers.forEach((value, name) => {
		if (!HOP_BY_HOP.has(name)) headers.set(name, value);
	});
	headers.set(HOPS_HEADER, String(hops));
	headers.set(PEER_HEADER, options.peerSecret);
	if (options.forwardedFor !== undefined) headers.set(FORWARDED_FOR_HEADER, options.forwardedFor);
	if (options.internal) headers.set(FORWARDED_INTERNAL_HEADER, "1");
	if (options.requestId !== undefined) headers.set("x-request-id", options.requestId);
	injectTraceHeaders(headers);
	const response = await fetch(target, {
		method: request.method,
		headers,
		...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
		redirect: "manual",
	});
	const out = new Headers();
	response.headers.forEach((value, name) => {
		if (!HOP_BY_HOP.has(name)) out.set(name, value);
	});
	return new Response(response.body, { status: response.status, headers: out });
}
