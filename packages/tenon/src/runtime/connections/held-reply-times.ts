import { type ActorMetrics, monotonicSeconds } from "../../observability/metrics.js";

/**
 * Times how long replies on an actor's connections wait for durability (the
 * output gate), for `tenon_output_gate_wait_seconds`, without a promise per
 * reply: each held reply leaves its generation and start time in two queues
 * of numbers, and a commit observes every entry it made durable. Generations
 * are queued in order (an actor's output generation never goes down), so the
 * durable ones are always at the front.
 */
export class HeldReplyTimes {
	readonly #metrics: Pick<ActorMetrics, "outputGateWaited">;
	#generations: number[] = [];
	#started: number[] = [];
	#head = 0;

	constructor(metrics: Pick<ActorMetrics, "outputGateWaited">) {
		this.#metrics = metrics;
	}

	/** How many replies are being timed. */
	get pending(): number {
		return this.#generations.length - this.#head;
	}

	/** A reply was held until `generation` is durable. */
	held(generation: number): void {
		this.#generations.push(generation);
		this.#started.push(monotonicSeconds());
	}

	/**
	 * The actor stopped or failed: replies still held never leave, and their
	 * wait ends now (as a promise per reply was settled when the writer closed).
	 */
	ended(): void {
		this.released(Number.POSITIVE_INFINITY);
	}

	/** Writes up to `durableGeneration` are durable. */
	released(durableGeneration: number): void {
		const generations = this.#generations;
		let head = this.#head;
		if (head === generations.length || (generations[head] as number) > durableGeneration) return;
		const now = monotonicSeconds();
		while (head < generations.length && (generations[head] as number) <= durableGeneration) {
			this.#metrics.outputGateWaited(now - (this.#started[head] as number), "websocket");
			head++;
		}
		if (head === generations.length) {
			generations.length = 0;
			this.#started.length = 0;
			head = 0;
		} else if (head > 1024 && head * 2 > generations.length) {
			// A long run that never empties: drop the observed front now and then.
			generations.splice(0, head);
			this.#started.splice(0, head);
			head = 0;
		}
		this.#head = head;
	}
}
