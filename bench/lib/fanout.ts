// Broadcast fan-out, measured as users see it: the subscribed connections are
// spread over several receiving processes (bench/clients/fanout-receiver.ts),
// as browsers each hold their own, so no single JS thread decodes every
// frame. The runner triggers each round on a connection of its own.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import {
	monotonicMs,
	type ReceiverConnections,
	type ReceiverSpec,
	type ServerFanout,
	type ToReceiver,
	type ToRunner,
} from "./fanout-protocol.js";
import { bundle } from "./process.js";

/** Per round (ms): the client's view, and the server's when it has a probe. */
export interface FanoutTimes {
	/** From the trigger call to the last receipt in any receiving process. */
	lastReceipt: number[];
	/** From the trigger reaching the server to its last frame written (server clock). */
	serverFanout?: number[];
	/** Of which: from the trigger to the first frame written (the turn, and for Tenon its durable commit). */
	serverFirstWrite?: number[];
}

/** How long one round may take before the workload fails. */
const ROUND_TIMEOUT_MS = 10_000;
const WARMUP_ROUNDS = 3;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A receiving process, once its connections are open and subscribed. */
class Receiver {
	readonly #child: ChildProcess;
	readonly #waiting = new Map<number, (report: { firstAt: number; lastAt: number }) => void>();
	readonly #early = new Map<number, { firstAt: number; lastAt: number }>();
	#stderr = "";

	private constructor(child: ChildProcess) {
		this.#child = child;
		child.stderr?.on("data", (chunk: Buffer) => {
			this.#stderr = (this.#stderr + chunk.toString()).slice(-2_000);
		});
		child.on("message", (message: ToRunner) => {
			if (message.type !== "round") return;
			const report = { firstAt: message.firstAt, lastAt: message.lastAt };
			const resolve = this.#waiting.get(message.round);
			if (resolve) {
				this.#waiting.delete(message.round);
				resolve(report);
			} else this.#early.set(message.round, report);
		});
	}

	static async start(file: string, spec: ReceiverSpec): Promise<Receiver> {
		const child = spawn(process.execPath, [file, JSON.stringify(spec)], {
			stdio: ["ignore", "ignore", "pipe", "ipc"],
		});
		const receiver = new Receiver(child);
		await new Promise<void>((resolve, reject) => {
			const onMessage = (message: ToRunner) => {
				if (message.type === "ready") done(resolve);
				else if (message.type === "error") done(() => reject(new Error(message.message)));
			};
			const onExit = (code: number | null) =>
				done(() =>
					reject(new Error(`a receiving process exited (${code}): ${receiver.#stderr.trim()}`)),
				);
			const done = (then: () => void) => {
				child.off("message", onMessage);
				child.off("exit", onExit);
				then();
			};
			child.on("message", onMessage);
			child.once("exit", onExit);
		}).catch((error: unknown) => {
			child.kill("SIGKILL");
			throw error;
		});
		return receiver;
	}

	/** Resolves when every connection of this process got round `round`'s event. */
	round(round: number): Promise<{ firstAt: number; lastAt: number }> {
		const early = this.#early.get(round);
		if (early) {
			this.#early.delete(round);
			return Promise.resolve(early);
		}
		return new Promise((resolve) => this.#waiting.set(round, resolve));
	}

	/** Closes the connections and ends the process. */
	async close(): Promise<void> {
		const child = this.#child;
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise((resolve) => child.once("exit", resolve));
		child.send({ type: "close" } satisfies ToReceiver);
		const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
		await exited;
		clearTimeout(timer);
	}
}

/**
 * Broadcast rounds: `trigger(round)` makes the server send event `round` to
 * every subscribed connection, which `processes` receiving processes hold
 * between them. With `probe` (a bench server's probe URL), the server's own
 * fan-out time is read each round too. Three warm-up rounds are discarded.
 */
export async function spreadFanout(options: {
	receivers: ReceiverConnections;
	connections: number;
	processes: number;
	rounds: number;
	trigger: (round: number) => Promise<unknown>;
	probe?: string;
	signal?: AbortSignal;
}): Promise<FanoutTimes> {
	const file = await bundle(join(import.meta.dirname, "..", "clients", "fanout-receiver.ts"));
	const processes = Math.max(1, Math.min(options.processes, options.connections));
	const receivers: Receiver[] = [];
	try {
		// One after the other: a burst of upgrades from every process at once
		// is more than some servers accept.
		for (let i = 0; i < processes; i++) {
			const count =
				Math.floor(options.connections / processes) + (i < options.connections % processes ? 1 : 0);
			receivers.push(await Receiver.start(file, { ...options.receivers, count }));
		}
		const times: Required<FanoutTimes> = {
			lastReceipt: [],
			serverFanout: [],
			serverFirstWrite: [],
		};
		for (let round = 0; round < WARMUP_ROUNDS + options.rounds; round++) {
			options.signal?.throwIfAborted();
			if (options.probe) await fetch(`${options.probe}/fanout`, { method: "POST" });
			const reports = Promise.all(receivers.map((receiver) => receiver.round(round)));
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<never>((_, reject) => {
				timer = setTimeout(
					() => reject(new Error(`round ${round}: not every connection got the event in 10 s`)),
					ROUND_TIMEOUT_MS,
				);
			});
			const startedAt = monotonicMs();
			let lastAt: number;
			try {
				const [, got] = await Promise.race([
					Promise.all([options.trigger(round), reports]),
					timeout,
				]);
				lastAt = Math.max(...got.map((report) => report.lastAt));
			} finally {
				clearTimeout(timer);
			}
			const measured = round >= WARMUP_ROUNDS;
			if (measured) times.lastReceipt.push(lastAt - startedAt);
			if (options.probe) {
				const server = (await (await fetch(`${options.probe}/fanout`)).json()) as ServerFanout;
				if (
					server.triggerAt === null ||
					server.firstWriteAt === null ||
					server.lastWriteAt === null
				) {
					throw new Error(`round ${round}: the server's probe saw no trigger or no write`);
				}
				if (measured) {
					times.serverFanout.push(server.lastWriteAt - server.triggerAt);
					times.serverFirstWrite.push(server.firstWriteAt - server.triggerAt);
				}
			}
			await pause(20);
		}
		return options.probe ? times : { lastReceipt: times.lastReceipt };
	} finally {
		await Promise.all(receivers.map((receiver) => receiver.close()));
	}
}
