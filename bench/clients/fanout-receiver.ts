// One receiving process of the broadcast workload: holds its share of the
// subscribed connections (as one browser tab holds one), and tells the runner,
// per round, when its first and last connection got the event. Started by
// bench/lib/fanout.ts with the spec as its argument and an IPC channel.
import { createClient } from "tenon/client";
import { WebSocket } from "ws";
import {
	monotonicMs,
	type ReceiverSpec,
	type ToReceiver,
	type ToRunner,
} from "../lib/fanout-protocol.js";

/** What the receiver needs of an actor connection (Tenon's and RivetKit's clients both have it). */
interface EventConn {
	on(event: string, listener: (at: number) => void): unknown;
	/** Tenon's shared state (`shareState`). */
	onSharedState?(listener: (state: { tick: number }) => void): unknown;
	noop(): Promise<unknown>;
	dispose(): Promise<void>;
}

interface ActorClient {
	[actor: string]: { getOrCreate(key: unknown): { connect(): EventConn } };
}

const spec = JSON.parse(process.argv[2] as string) as ReceiverSpec;
const tell = (message: ToRunner) => process.send?.(message);

/** Per round: how many connections got its event, the first and the last arrival. */
const rounds = new Map<number, { count: number; firstAt: number; lastAt: number }>();

function arrived(at: number): void {
	const now = monotonicMs();
	let round = rounds.get(at);
	if (!round) {
		round = { count: 0, firstAt: now, lastAt: now };
		rounds.set(at, round);
	}
	round.count++;
	round.lastAt = now;
	if (round.count === spec.count) {
		rounds.delete(at);
		tell({ type: "round", round: at, firstAt: round.firstAt, lastAt: round.lastAt });
	}
}

/** Runs `open(i)` for each of the connections, `spec.openConcurrency` at a time. */
async function openAll<T>(open: (i: number) => Promise<T>): Promise<T[]> {
	const out: T[] = [];
	let next = 0;
	const workers = Array.from({ length: Math.min(spec.openConcurrency, spec.count) }, async () => {
		while (next < spec.count) out.push(await open(next++));
	});
	await Promise.all(workers);
	return out;
}

async function openSockets(url: string): Promise<() => Promise<void>> {
	const sockets = await openAll(
		() =>
			new Promise<WebSocket>((resolve, reject) => {
				const socket = new WebSocket(url, { perMessageDeflate: false });
				socket.once("open", () => resolve(socket));
				socket.once("error", reject);
				socket.once("unexpected-response", (_req, res) =>
					reject(new Error(`${url}: HTTP ${res.statusCode}`)),
				);
			}),
	);
	for (const socket of sockets) {
		socket.on("message", (data) => {
			const text = data.toString();
			if (text.startsWith("tick ")) arrived(Number(text.slice(5)));
		});
	}
	return async () => {
		for (const socket of sockets) socket.close();
	};
}

async function openActorConns(
	spec: Extract<ReceiverSpec, { kind: "actor" }>,
): Promise<() => Promise<void>> {
	let client: ActorClient & { dispose?(): Promise<void> };
	if (spec.client === "tenon") {
		client = createClient({
			messageRate: false,
			endpoint: spec.endpoint,
			encoding: "cbor",
		}) as unknown as ActorClient;
	} else {
		// A peer's client (RivetKit), from the module the runner resolved.
		const module = (await import(spec.client)) as { createClient(endpoint: string): ActorClient };
		client = module.createClient(spec.endpoint);
	}
	const handle = client[spec.actor];
	if (!handle) throw new Error(`no actor "${spec.actor}" in the client`);
	const conns = await openAll(async () => {
		const conn = handle.getOrCreate(spec.key).connect();
		await conn.noop();
		if (spec.via === "sharedState") {
			// The first snapshot (the tick before any round) is not a round.
			let first = true;
			conn.onSharedState?.((state) => {
				if (first) first = false;
				else arrived(state.tick);
			});
		} else conn.on("tick", arrived);
		// The subscription travels before this call on the same connection:
		// once it is answered, the subscription is in effect on the server.
		await conn.noop();
		return conn;
	});
	return async () => {
		await Promise.all(conns.map((conn) => conn.dispose()));
		await client.dispose?.();
	};
}

try {
	const close = await (spec.kind === "ws" ? openSockets(spec.url) : openActorConns(spec));
	process.on("message", (message: ToReceiver) => {
		switch (message.type) {
			case "close":
				void close().finally(() => process.exit(0));
				return;
		}
	});
	// The runner is gone (it ended or crashed): so is this process.
	process.once("disconnect", () => process.exit(0));
	tell({ type: "ready" });
} catch (error) {
	const message = error instanceof Error ? error.message : String(error);
	// Exit once the message is out: the runner reports it.
	process.send?.({ type: "error", message } satisfies ToRunner, () => process.exit(1));
}
