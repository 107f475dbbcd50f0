import { type IncomingMessage, maxHeaderSize } from "node:http";
import { connect, isIP } from "node:net";
import type { Duplex } from "node:stream";
import { connect as connectTls } from "node:tls";
import type { ActorError } from "../protocol/errors.js";
import type { UpgradeDecision } from "../server/websocket.js";
import { headersTooLarge, isConnectFailure, ownerAddress } from "./forward.js";
import {
	CALL_DEPTH_HEADER,
	CLUSTER_HEADERS,
	FORWARDED_FOR_HEADER,
	FORWARDED_HOST_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	PEER_HEADER,
} from "./headers.js";

/** The least time an owner has to answer a passed-through upgrade (ms). */
const UNANSWERED_GRACE_MS = 1_000;

/** The status line an owner's answer to the replayed upgrade starts with. */
const STATUS_LINE = /^HTTP\/1\.1 [1-5]\d\d[ \r]/;
/** The most an owner's status line may take (bytes): a longer one is no answer. */
const MAX_STATUS_LINE = 256;

/**
 * What the bytes an owner sent so far (`received`) make of its answer: its
 * status line is complete and well-formed ("answer"), not complete yet
 * ("more"), or not an HTTP/1.1 status line ("garbage").
 */
function statusLineOf(received: Buffer): "answer" | "more" | "garbage" {
	const end = received.indexOf("\r\n");
	if (end === -1) {
		if (received.byteLength >= MAX_STATUS_LINE) return "garbage";
		const start = received.subarray(0, 9).toString("latin1");
		return "HTTP/1.1 ".startsWith(start) || start.startsWith("HTTP/1.1 ") ? "more" : "garbage";
	}
	return STATUS_LINE.test(received.subarray(0, end + 2).toString("latin1")) ? "answer" : "garbage";
}

/** Where a passed-through upgrade goes: the owner's host and port, and whether it speaks TLS. */
export interface DialOptions {
	host: string;
	port: number;
	tls: boolean;
}

/**
 * Connects to the owner: over TLS when its address is `https:` (a plain
 * connection sent the upgrade in clear text to a TLS port, which never
 * answered it: a review, 2026-11-27), its certificate checked as `fetch`
 * checks a forwarded request's.
 */
function dialOwner(options: DialOptions): Duplex {
	if (!options.tls) return connect({ host: options.host, port: options.port });
	return connectTls({
		host: options.host,
		port: options.port,
		...(isIP(options.host) === 0 ? { servername: options.host } : {}),
		ALPNProtocols: ["http/1.1"],
	});
}

/**
 * Passes a WebSocket upgrade through to the node that owns the actor: opens
 * a TCP connection to it, replays the upgrade request (with the hop header),
 * then pipes bytes both ways. Frames, sub-protocols and close codes pass
 * unchanged. If the owner cannot be reached (or has no address yet) before
 * `retryUntil`, `retry` is called (after a short pause) to decide again: the
 * owner may have died and the actor may now be taken over here; after it,
 * `giveUp` answers the client.
 *
 * Nothing reaches the client before the owner's answer starts as an HTTP/1.1
 * status line. An owner that closes or resets the connection before it
 * answers (it crashed, or was stopping), or answers with something else, is
 * one that did not answer: the upgrade is decided again, or refused as
 * `actor/unavailable`. Before 2026-11-26 the client's socket was cut with no
 * answer at all, or got the bytes as they came (an attacker probe); an HTTP
 * request forwarded to such an owner got `actor/unavailable` already.
 */
export function passUpgradeThrough(
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer,
	target: Omit<Extract<UpgradeDecision, { kind: "proxy" }>, "kind">,
	retry: () => void,
	giveUp: (refusal?: ActorError) => void,
	/** Opens the connection to the owner (tests pass their own). */
	dial: (options: DialOptions) => Duplex = dialOwner,
): void {
	const notReached = () => {
		if (Date.now() < target.retryUntil) setTimeout(retry, 200);
		else giveUp();
	};
	const url = ownerAddress(target.address);
	if (url === undefined) {
		notReached();
		return;
	}
	const replayed = replayedHead(req, url, target);
	// A head the owner's parser would refuse got its bare 400 relayed (no group/code),
	// as an HTTP request's did (see forward.ts, checkHeadSize).
	const bytes = Buffer.byteLength(replayed, "latin1");
	if (bytes > maxHeaderSize) {
		giveUp(headersTooLarge(bytes));
		return;
	}
	const tls = url.protocol === "https:";
	const upstream = dial({
		// An IPv6 address without its brackets: with them, the lookup failed (ENOTFOUND),
		// and no upgrade reached an owner advertised as `http://[::1]:6420` (a review, 2026-11-27).
		host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
		port: Number(url.port || (tls ? 443 : 80)),
		tls,
	});
	let connected = false;
	let abandoned = false;
	let release: (() => void) | undefined;
	// A frozen owner (stopped, paused) accepts the connection and never answers: the
	// client waited with no limit (a review, 2026-11-26). Unanswered by the deadline,
	// the owner is asked after: still beating (a slow wake), it is waited for; not (its
	// lease has expired by then), the actor is decided on again, once: taken over
	// here, or refused as unavailable.
	let unanswered: NodeJS.Timeout | undefined;
	let answered = false;
	/** This attempt is over (answered, given up, failed, or its client gone): no check may act. */
	let settled = false;
	/** Gives this attempt up: decides again (`pause`: after a short one), or refuses the client. */
	const abandon = (pause = false) => {
		if (settled) return;
		settled = true;
		abandoned = true;
		clearTimeout(unanswered);
		forget();
		socket.unpipe(upstream);
		upstream.destroy();
		release?.();
		release = undefined;
		if (socket.destroyed) return;
		if (Date.now() >= target.retryUntil + UNANSWERED_GRACE_MS) giveUp();
		// An owner that fails every attempt at once is not asked again in a tight loop.
		else if (pause) setTimeout(retry, 200);
		else retry();
	};
	const check = () => {
		const alive = target.ownerAlive;
		if (alive === undefined) return abandon();
		alive().then(
			(beating) => {
				if (answered || settled || socket.destroyed) return;
				if (!beating) return abandon();
				unanswered = setTimeout(check, UNANSWERED_GRACE_MS);
			},
			() => {
				if (!answered && !settled && !socket.destroyed)
					unanswered = setTimeout(check, UNANSWERED_GRACE_MS);
			},
		);
	};
	unanswered = setTimeout(check, Math.max(UNANSWERED_GRACE_MS, target.retryUntil - Date.now()));
	// The owner's first bytes are held until they make a status line; then they and
	// the rest are piped. (Piped from the first byte, an owner that ended the connection
	// unanswered ended the client's socket with it, and no answer could follow.)
	let received = Buffer.alloc(0);
	const onFirstBytes = (chunk: Buffer) => {
		if (abandoned) return;
		received = Buffer.concat([received, chunk]);
		const line = statusLineOf(received);
		if (line === "more") return;
		upstream.off("data", onFirstBytes);
		if (line === "garbage") {
			abandon(true);
			return;
		}
		answered = true;
		clearTimeout(unanswered);
		socket.write(received);
		received = Buffer.alloc(0);
		upstream.pipe(socket);
		// Watched for as long as it is piped: an owner frozen (or cut off) after it answered
		// left the client's socket open with no answer and no error for as long as the freeze
		// (an attacker probe, 2026-11-27: 684 of 1,683 actions), while another node had taken
		// the actor over. Ended, the client reconnects and reaches the new owner.
		unwatch = target.watchOwner?.(() => {
			socket.destroy();
			upstream.destroy();
		});
	};
	let unwatch: (() => void) | undefined;
	upstream.on("data", onFirstBytes);
	upstream.once(tls ? "secureConnect" : "connect", () => {
		connected = true;
		if (socket.destroyed) {
			upstream.destroy();
			return;
		}
		// The pipe counts as one of this node's sockets (and its client's) while it lasts.
		release = target.hold();
		upstream.write(replayed, "latin1");
		if (head.byteLength > 0) upstream.write(head);
		socket.pipe(upstream);
	});
	upstream.on("error", (error) => {
		clearTimeout(unanswered);
		if (abandoned) return;
		if (!connected) {
			settled = true;
			forget();
			// A TLS handshake that failed (a certificate refused, a plain owner on an https
			// address) is no connection either: answered, not cut (a review, 2026-11-27).
			if (isConnectFailure(error)) notReached();
			else giveUp();
		} else if (!answered) abandon(true);
		else {
			settled = true;
			socket.destroy();
		}
	});
	upstream.on("close", () => {
		unwatch?.();
		clearTimeout(unanswered);
		if (!connected || abandoned) {
			settled = true;
			return;
		}
		if (!answered) abandon(true);
		else {
			settled = true;
			socket.destroy();
		}
	});
	const onSocketClose = () => {
		settled = true;
		unwatch?.();
		clearTimeout(unanswered);
		upstream.destroy();
		release?.();
		release = undefined;
	};
	const onSocketError = () => upstream.destroy();
	socket.on("close", onSocketClose);
	socket.on("error", onSocketError);
	/** This attempt is over without a pipe: the next one listens to the client's socket itself. */
	function forget(): void {
		socket.off("close", onSocketClose);
		socket.off("error", onSocketError);
	}
}

/** The upgrade request as the owner gets it: the client's head, with the cluster's headers. */
function replayedHead(
	req: IncomingMessage,
	url: URL,
	target: Omit<Extract<UpgradeDecision, { kind: "proxy" }>, "kind">,
): string {
	const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
	const raw = req.rawHeaders;
	for (let i = 0; i + 1 < raw.length; i += 2) {
		const name = (raw[i] as string).toLowerCase();
		// Never pass on what a client claims in the cluster's own headers.
		if (name === "host" || CLUSTER_HEADERS.includes(name)) continue;
		lines.push(`${raw[i]}: ${raw[i + 1]}`);
	}
	// The Host the client sent, so the owner shows actor code the URL it asked for.
	const entryHost = target.entryHost ?? req.headers.host;
	if (entryHost !== undefined)
		lines.push(`${FORWARDED_HOST_HEADER}: ${entryHost.replace(/[\r\n]/g, "")}`);
	lines.push(
		`Host: ${url.host}`,
		`${HOPS_HEADER}: ${target.hops}`,
		`${PEER_HEADER}: ${target.peerSecret}`,
	);
	if (target.internal) lines.push(`${FORWARDED_INTERNAL_HEADER}: 1`);
	if (target.callDepth > 0) lines.push(`${CALL_DEPTH_HEADER}: ${target.callDepth}`);
	if (target.forwardedFor !== undefined)
		lines.push(`${FORWARDED_FOR_HEADER}: ${target.forwardedFor.replace(/[\r\n]/g, "")}`);
	return `${lines.join("\r\n")}\r\n\r\n`;
}
