import { actor, queue } from "tenon";
import { z } from "zod";

/** A unit of work. */
export interface Job {
	id: string;
	/** Seconds of (simulated) work. */
	size: number;
}

/** What the worker answers for a job. */
export interface JobResult {
	id: string;
	checksum: number;
}

/**
 * A queue-driven worker: jobs are durable, completable queue messages
 * processed one at a time by the `run` loop, in order. A job stays stored
 * until it is completed, so a crash mid-job redelivers it (at least once);
 * `results` is keyed by the job (its id and size), so a redelivered job does
 * not count twice, and a job id is no key to another sender's result.
 * Senders may wait for the result (`send(..., { wait: true })`).
 */
export const jobWorker = actor({
	// The results of the last MAX_REMEMBERED jobs, to answer a redelivered job without
	// redoing it: remembering every job id grew the state with each job a client sent.
	state: { results: {} as Record<string, JobResult>, order: [] as string[] },
	// Any client may send jobs here (it is a demo): restrict senders in an app with
	// `canPublish: (c) => ...` on the queue (docs/actors.md).
	// Bodies are checked when sent (`queue/invalid_message`), so the loop only sees jobs.
	queues: {
		jobs: queue<Job, JobResult>({
			message: z
				.object({
					// Not "__proto__": as a key of `results` it would set the object's
					// prototype, and the state could not be saved (the job retried until it
					// became a dead letter).
					id: z
						.string()
						.regex(/^[A-Za-z0-9_-]{1,64}$/)
						.refine((id) => id !== "__proto__", "a reserved id"),
					size: z.number().min(0).max(3_600),
				})
				// Strict: a field it does not name is refused, not stored with the job.
				.strict(),
		}),
	},
	run: async (c) => {
		for await (const message of c.queue.iter({ names: ["jobs"], completable: true })) {
			const job = message.body;
			// Known by the whole job, not its id alone: ids are the senders' own, and keyed by
			// id, one sender's `{id: "invoice-42", size: 1}` set the result another's
			// `{id: "invoice-42", size: 99}` got, never run (an attacker probe, 2026-11-28).
			const key = `${job.id}/${job.size}`;
			// Own properties only: a job id like "constructor" must not find Object's.
			const known = Object.hasOwn(c.state.results, key);
			const result: JobResult = known
				? (c.state.results[key] as JobResult)
				: { id: job.id, checksum: checksum(job) };
			if (!known) {
				c.state.results[key] = result;
				c.state.order.push(key);
				while (c.state.order.length > MAX_REMEMBERED)
					delete c.state.results[c.state.order.shift() as string];
			}
			await message.complete(result);
		}
	},
	actions: {
		/** The ids of the jobs remembered, oldest first. */
		processed: (c) => c.state.order.map((key) => (c.state.results[key] as JobResult).id),
		backlog: (c) => c.queue.size,
	},
	options: { sleepTimeout: 10_000 },
});

/** Jobs whose results are kept to answer a redelivery: a window, not a history. */
export const MAX_REMEMBERED = 1_000;

function checksum(job: Job): number {
	let sum = 0;
	for (const char of `${job.id}:${job.size}`) sum = (sum * 31 + char.charCodeAt(0)) >>> 0;
	return sum;
}
