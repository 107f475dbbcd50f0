// Fuzzes a real server (a child process on LMDB) over HTTP and WebSocket:
// every answer must come in time, be a documented `group/code` when it is an
// error, never an internal error; sockets close only with documented codes;
// the canary actor's data and the server's built-in prototypes stay as they
// were; and the server is still up at the end.
import { join } from "node:path";
import fc from "fast-check";
import { WebSocket } from "ws";
import { createClient } from "../../src/client/index.js";
import {
	readHttpResponseError,
	readToClient,
	writeToServer,
} from "../../src/protocol/bare-codec.js";
import { type ChildServer, startChildServer, tempDataDir } from "../helpers/child-server.js";
import { plainCbor } from "../helpers/raw.js";
import { type FuzzRequest, frame, httpRequest } from "./arbitraries.js";
import { bareCall, bareMessage } from "./bare-arbitraries.js";
import type { fuzzRegistry } from "./fixtures/fuzz-actors.js";
import { classifyError, FuzzStats, pollutionBetween } from "./oracle.js";

const fixture = join(import.meta.dirname, "fixtures", "fuzz-server.ts");
/** An answer slower than this is a hang. */
const ANSWER_MS = 10_000;
/** Close codes a connection may end with (docs/errors.md); 1011 and 1006 are findings. */
const CLOSE_CODES = new Set([1000, 1001, 1008, 1009, 1012, 1013]);

/** A running fuzz server with its canary, ready to be attacked. */
export interface FuzzServer {
	readonly url: string;
	/** Checks the canary's data and the prototypes, then stops the server. */
	finish(stats: FuzzStats): Promise<{ dataIntact: boolean }>;
}

/** Starts the fuzz server and seeds the canary. */
export async function startFuzzServer(): Promise<FuzzServer> {
	const dataDir = tempDataDir("fuzz");
	const server: ChildServer = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
	let died = false;
	server.process.once("exit", () => {
		died = true;
	});
	const client = createClient<typeof fuzzRegistry>({ endpoint: server.url });
	const canary = client.canary.getOrCreate("canary-key");
	const before = await canary.read();
	const prototypes = await canary.pollution();
	const target = client.target.getOrCreate("f1");
	await target.put("seed", { kept: true });
	return {
		url: server.url,
		async finish(stats) {
			if (died) {
				stats.finding("crash", "the server process died");
				return { dataIntact: false };
			}
			const after = await canary.read();
			const dataIntact = JSON.stringify(after) === JSON.stringify(before);
			const polluted = pollutionBetween(prototypes, await canary.pollution());
			if (polluted !== undefined) stats.finding("pollution", `server: ${polluted}`);
			// The attacked actor still answers: no key was bricked.
			await target.get();
			await client.dispose();
			await server.stop();
			return { dataIntact };
		},
	};
}

async function sendOne(base: string, request: FuzzRequest, stats: FuzzStats): Promise<void> {
	stats.inputs++;
	let response: Response;
	try {
		response = await fetch(`${base}${request.path}`, {
			method: request.method,
			headers: request.headers,
			...(request.body === undefined ? {} : { body: request.body as BodyInit }),
			signal: AbortSignal.timeout(ANSWER_MS),
			redirect: "manual",
		});
	} catch (error) {
		const name = (error as Error).name;
		if (name === "TimeoutError") stats.finding("hang", `${request.method} ${request.path}`);
		else if (
			String((error as Error).message).includes("Invalid URL") ||
			(name === "TypeError" && /header/i.test(String((error as Error).message)))
		)
			stats.count("client-refused");
		else
			stats.finding(
				"crash",
				`${request.method} ${request.path}: ${String(error)} ${String((error as { cause?: unknown }).cause)}`,
			);
		return;
	}
	const bytes = new Uint8Array(await response.arrayBuffer());
	stats.count(String(response.status));
	if (response.status < 400) return;
	if (response.status === 426) return; // upgrade required: a documented answer with a body
	let body: unknown;
	try {
		const type = response.headers.get("content-type") ?? "";
		body = type.includes("json")
			? JSON.parse(new TextDecoder().decode(bytes))
			: request.headers["x-rivet-encoding"] === "bare"
				? readHttpResponseError(bytes)
				: plainCbor.decode(bytes);
	} catch {
		// 408/400 from Node's parser carry no body: answers of the HTTP layer itself.
		if (bytes.byteLength === 0 && (response.status === 400 || response.status === 403)) return;
		stats.finding(
			"unstable",
			`${response.status} without a readable body: ${request.method} ${request.path}`,
		);
		return;
	}
	const kind = classifyError(response.status, body);
	if (kind !== undefined)
		stats.finding(
			kind,
			`${response.status} ${JSON.stringify(body).slice(0, 200)} for ${request.method} ${request.path}`,
		);
}

/** Sends `count` fuzzed HTTP requests, `concurrency` at a time. */
/** Hostile requests to any route, well-formed calls with hostile values, and BARE bodies. */
const httpMix: fc.Arbitrary<FuzzRequest> = fc.oneof(
	{ weight: 5, arbitrary: httpRequest },
	{ weight: 1, arbitrary: bareCall },
);

export async function fuzzHttp(
	base: string,
	count: number,
	seed: number,
	concurrency = 16,
): Promise<FuzzStats> {
	const stats = new FuzzStats();
	let round = 0;
	while (stats.inputs < count) {
		const batch = fc.sample(httpMix, {
			seed: seed + round++,
			numRuns: Math.min(2_000, count - stats.inputs),
		});
		let next = 0;
		await Promise.all(
			Array.from({ length: concurrency }, async () => {
				while (next < batch.length) {
					const request = batch[next++] as FuzzRequest;
					await sendOne(base, request, stats);
				}
			}),
		);
	}
	return stats;
}

type SocketEncoding = "json" | "cbor" | "bare";

interface Socket {
	ws: WebSocket;
	encoding: SocketEncoding;
	waiting: Map<number, () => void>;
	closed: Promise<{ code: number; reason: string }>;
}

async function openSocket(base: string, encoding: SocketEncoding, key: string): Promise<Socket> {
	const ws = new WebSocket(
		`${base.replace("http", "ws")}/gateway/target/connect?rvt-method=getOrCreate&rvt-key=${key}`,
		["rivet", `rivet_encoding.${encoding}`],
	);
	const waiting = new Map<number, () => void>();
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
	);
	let opened!: () => void;
	const init = new Promise<void>((resolve) => {
		opened = resolve;
	});
	ws.on("message", (data: Buffer, isBinary: boolean) => {
		let message: { body?: { tag?: string; val?: { id?: unknown; actionId?: unknown } } };
		try {
			message = !isBinary
				? JSON.parse(data.toString("utf8"))
				: encoding === "bare"
					? fromBare(readToClient(new Uint8Array(data)))
					: plainCbor.decode(data);
		} catch {
			return;
		}
		const tag = message.body?.tag;
		if (tag === "Init") opened();
		const id = tag === "ActionResponse" ? message.body?.val?.id : message.body?.val?.actionId;
		if (id !== undefined && id !== null) waiting.get(Number(id))?.();
	});
	ws.on("error", () => {});
	await Promise.race([init, closed]);
	return { ws, encoding, waiting, closed };
}

/** A BARE message in the envelope shape the other encodings use. */
function fromBare(message: ReturnType<typeof readToClient>) {
	if (message.tag === "ActionResponse")
		return { body: { tag: message.tag, val: { id: message.id } } };
	if (message.tag === "Error")
		return { body: { tag: message.tag, val: { actionId: message.actionId ?? null } } };
	return { body: { tag: message.tag, val: {} } };
}

/** Sends a probe action and waits for its answer: the connection still works. */
function probe(socket: Socket, id: number): Promise<boolean> {
	const envelope = { body: { tag: "ActionRequest", val: { id, name: "get", args: [] } } };
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			socket.waiting.delete(id);
			resolve(false);
		}, ANSWER_MS);
		socket.waiting.set(id, () => {
			clearTimeout(timer);
			socket.waiting.delete(id);
			resolve(true);
		});
		void socket.closed.then(() => {
			clearTimeout(timer);
			resolve(true); // judged by its close code instead
		});
		socket.ws.send(
			socket.encoding === "json"
				? JSON.stringify(envelope)
				: socket.encoding === "bare"
					? writeToServer({
							tag: "ActionRequest",
							id: BigInt(id),
							name: "get",
							args: plainCbor.encode([]),
						})
					: plainCbor.encode(envelope),
		);
	});
}

/** Sends `count` fuzzed frames over a few connections, probing each after every batch. */
export async function fuzzWebSocket(base: string, count: number, seed: number): Promise<FuzzStats> {
	const stats = new FuzzStats();
	let round = 0;
	let probeId = 1_000_000_000;
	const encodings: SocketEncoding[] = ["json", "cbor", "bare", "json", "cbor", "bare"];
	await Promise.all(
		encodings.map(async (encoding, lane) => {
			let socket = await openSocket(base, encoding, `f${lane % 2}`);
			while (stats.inputs < count) {
				const runSeed = seed + lane * 1e6 + round++;
				const frames =
					encoding === "bare"
						? fc
								.sample(bareMessage("frame"), { seed: runSeed, numRuns: 25 })
								.map((data) => ({ data }))
						: fc.sample(frame, { seed: runSeed, numRuns: 25 });
				for (const { data } of frames) {
					if (socket.ws.readyState !== WebSocket.OPEN) break;
					stats.inputs++;
					socket.ws.send(data);
				}
				const answered =
					socket.ws.readyState === WebSocket.OPEN ? await probe(socket, probeId++) : true;
				if (!answered) stats.finding("hang", "a probe action got no answer on a fuzzed connection");
				if (socket.ws.readyState !== WebSocket.OPEN) {
					const { code, reason } = await socket.closed;
					stats.count(`close:${code}`);
					if (!CLOSE_CODES.has(code))
						stats.finding("crash", `connection closed with ${code} ${reason}`);
					socket = await openSocket(base, encoding, `f${lane % 2}`);
				}
			}
			socket.ws.close();
		}),
	);
	return stats;
}
