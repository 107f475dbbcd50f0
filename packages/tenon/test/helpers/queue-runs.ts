// Shared pieces of the tests of queue holders: run providers' runs, actions
// and hooks that receive completable messages, and replies checked slowly so
// a test can act while a completion is still in flight.
import { z } from "zod";
import { queue } from "../../src/index.js";

/** Resolves when `signal` aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
	if (signal.aborted) return Promise.resolve();
	return new Promise((resolve) =>
		signal.addEventListener("abort", () => resolve(), { once: true }),
	);
}

/** A promise the test opens when it chooses. */
export interface Gate {
	opened: Promise<void>;
	open(): void;
}

export function gate(): Gate {
	let open = () => {};
	const opened = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { opened, open };
}

/**
 * A queue of strings whose reply schema accepts only `"ok"`, and checks
 * slowly: each check waits until the test calls the `pass` it is handed
 * (through `onCheck`), so a completion stays in flight until then.
 */
export function slowlyCheckedQueue(onCheck: (pass: () => void) => void) {
	return queue<string, string>({
		complete: z.string().refine(
			async (value) => {
				await new Promise<void>((resolve) => onCheck(resolve));
				return value === "ok";
			},
			{ message: "bad reply" },
		),
	});
}

/** An action body: takes one message completable, completes it with "ok" and returns its body. */
export async function take(c: {
	queue: { tryNext(o: { completable: true }): Promise<unknown> };
}): Promise<string | null> {
	const message = (await c.queue.tryNext({ completable: true })) as
		| { body: string; complete(reply: string): Promise<void> }
		| undefined;
	if (message === undefined) return null;
	await message.complete("ok");
	return message.body;
}
