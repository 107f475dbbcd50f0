// Regression (a durability chaos probe, 2026-11-28): the output gate held an
// `onRequest` response until its handler returned, and not the chunks of a
// body it streamed afterwards. A stream that changed state and then wrote the
// new value let a client read it before it was durable: after a SIGKILL the
// restarted actor had the value before (5 of 30 runs on LMDB, 8 of 10 on
// PostgreSQL). Each chunk now leaves once the writes made before it are durable.
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

let push: ((text: string) => void) | undefined;

const ticker = actor({
	state: { n: 0 },
	onRequest: (c) => {
		const encoder = new TextEncoder();
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				push = (text) => {
					c.state.n++;
					controller.enqueue(encoder.encode(`${c.state.n}:${text}\n`));
				};
			},
		});
		return new Response(body, { headers: { "content-type": "text/plain" } });
	},
	actions: { n: (c) => c.state.n },
});

it("sends a streamed body's chunk once the writes before it are durable", async () => {
	const storage = controllableStorage(memoryDriver());
	await using t = await setupTest(setup({ use: { ticker }, logLevel: "silent" }), {
		storage: storage.driver,
	});
	const handle = t.client.ticker.getOrCreate("t");
	const fetching = handle.fetch("/stream");
	await expect.poll(() => push).toBeDefined();
	push?.("first");
	const response = await fetching;
	const reader = (response.body as ReadableStream<Uint8Array>).getReader();
	const decoder = new TextDecoder();
	const next = async () => decoder.decode((await reader.read()).value);

	expect(await next()).toBe("1:first\n");

	storage.hold();
	push?.("second");
	let read = "";
	const reading = next().then((text) => (read = text));
	await turns(50);
	// Its write (n = 2) is not durable yet: the chunk that shows it waits, and asks for the commit.
	expect(read).toBe("");
	await expect.poll(() => storage.held).toBeGreaterThan(0);
	storage.release();
	await reading;
	expect(read).toBe("2:second\n");
	await reader.cancel();
});

// A body that has nothing to send yet (server-sent events waiting for their first) held its
// headers too: Node writes them with the first chunk, so the client's fetch did not resolve.
it("sends a streamed response's headers before its first chunk", async () => {
	const quiet = actor({
		state: {},
		onRequest: () =>
			new Response(new ReadableStream<Uint8Array>({ start() {} }), {
				headers: { "content-type": "text/event-stream" },
			}),
		actions: {},
	});
	await using t = await setupTest(setup({ use: { quiet }, logLevel: "silent" }));
	const controller = new AbortController();
	const response = await t.client.quiet
		.getOrCreate("q")
		.fetch("/events", { signal: controller.signal });
	expect(response.status).toBe(200);
	expect(response.headers.get("content-type")).toBe("text/event-stream");
	controller.abort();
});
