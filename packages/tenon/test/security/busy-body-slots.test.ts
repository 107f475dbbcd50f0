// Regression (an attacker probe of the defaults, 2026-11-28): bodies sent
// just above the rate floor (240 B/s) held the node's body slots for the
// whole request timeout (60 s): 16 addresses × 8 slots, about 38 KB/s in all,
// answered every other caller's HTTP action `429 limit/too_many_requests`.
// When every slot is taken, a new body now takes the slot of the slowest read
// past its first second that is slower than `minRequestBodyBytesPerSecondWhenBusy`
// (64 KiB/s): that read ends `408 request/body_too_slow`.
import { connect, type Socket } from "node:net";
import { actor, setup } from "tenon";
import { setupTest } from "tenon/test";
import { expect, it } from "vitest";

const echo = actor({ state: {}, actions: { ping: () => "pong" } });

/** A POST that declares `length` bytes and sends one every `everyMs`; resolves with what came back. */
function drip(url: string, length: number, everyMs: number) {
	const { port } = new URL(url);
	const socket: Socket = connect(Number(port), "127.0.0.1");
	let answer = "";
	socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
	socket.on("error", () => {});
	socket.write(
		"POST /gateway/echo/action/ping?rvt-method=getOrCreate&rvt-key=d HTTP/1.1\r\n" +
			`host: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
	);
	const timer = setInterval(() => socket.write(" "), everyMs);
	const ended = new Promise<string>((resolve) =>
		socket.on("close", () => {
			clearInterval(timer);
			resolve(answer);
		}),
	);
	return { ended, stop: () => socket.destroy() };
}

const call = (url: string) =>
	fetch(`${url}/gateway/echo/action/ping?rvt-method=getOrCreate&rvt-key=v`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: '{"args":[]}',
	});

it("gives a new body the slot of the slowest read when every slot is taken", async () => {
	await using t = await setupTest(
		setup({
			use: { echo },
			logLevel: "silent",
			// A floor low enough for the drips to pass it: only the pressure ends them.
			limits: { maxConcurrentRequestBodies: 4, minRequestBodyBytesPerSecond: 1 },
		}),
	);
	const drips = Array.from({ length: 4 }, () => drip(t.url, 100_000, 100));
	try {
		// Every slot taken, each read past its first second.
		await new Promise((resolve) => setTimeout(resolve, 1_300));
		const answer = await call(t.url);
		expect(answer.status).toBe(200);
		expect(await answer.json()).toEqual({ output: "pong" });
		// One drip lost its slot, with the rate error; the others still hold theirs.
		const first = await Promise.race(drips.map((d) => d.ended));
		expect(first).toContain("408");
		expect(first).toContain("body_too_slow");
	} finally {
		for (const d of drips) d.stop();
	}
});

it("refuses a new body, as before, when the reads are fast enough or too young to judge", async () => {
	await using t = await setupTest(
		setup({
			use: { echo },
			logLevel: "silent",
			limits: {
				maxConcurrentRequestBodies: 4,
				minRequestBodyBytesPerSecond: 1,
				minRequestBodyBytesPerSecondWhenBusy: 5,
			},
		}),
	);
	// 10 B/s, over the busy floor of 5: they keep their slots.
	const drips = Array.from({ length: 4 }, () => drip(t.url, 100_000, 100));
	try {
		await new Promise((resolve) => setTimeout(resolve, 1_300));
		const answer = await call(t.url);
		expect(answer.status).toBe(429);
		expect(await answer.json()).toMatchObject({ group: "limit", code: "too_many_requests" });
	} finally {
		for (const d of drips) d.stop();
	}
});
