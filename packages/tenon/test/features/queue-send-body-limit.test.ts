// Regression (an attacker probe, 2026-11-27): a queue send's body was read and decoded up to
// `maxHttpBodyBytes` (20 MiB), then walked and encoded again, and only then compared with
// `maxQueueMessageSize` (64 KiB): a 4 MB body of 490,000 keys blocked the loop for 2.5 s to be
// refused, 2.5 times what the same body costs an action. A body longer than 16 times the
// largest queue message any actor type takes is now refused before it is decoded.
import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { postJson, writeRaw } from "../helpers/raw.js";

const small = actor({
	state: {},
	queues: { raw: queue<unknown>() },
	actions: { size: (c) => c.queue.size },
});
const big = actor({
	state: {},
	queues: { raw: queue<unknown>() },
	actions: { size: (c) => c.queue.size },
	options: { maxQueueMessageSize: 256 * 1024 },
});
const registry = setup({ use: { small, big }, logLevel: "silent" });
const SEND_LIMIT = 16 * 256 * 1024;

/** A JSON queue send of `{ k0: 1, k1: 1, ... }` of about `bytes`. */
function manyKeys(bytes: number): string {
	const keys = Math.ceil(bytes / 9);
	const parts: string[] = [];
	for (let i = 0; i < keys; i++) parts.push(`"k${i}":1`);
	return `{"body":{${parts.join(",")}}}`;
}

describe("a queue send's body", () => {
	it("longer than 16 times the largest queue message is refused before it is decoded", async () => {
		await using t = await setupTest(registry);
		const url = (name: string) =>
			`${t.url}/gateway/${name}/queue/raw?rvt-method=getOrCreate&rvt-key=q`;
		const body = manyKeys(SEND_LIMIT + 1024);
		const started = process.cpuUsage();
		const refused = await postJson(url("small"), body);
		const cpuMs = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1000;
		expect(refused.status).toBe(400);
		expect(refused.body).toMatchObject({
			group: "queue",
			code: "message_too_large",
			metadata: { size: body.length, limit: SEND_LIMIT },
		});
		// Decoded, walked and encoded, a body of this many keys cost about a second of CPU here.
		expect(cpuMs).toBeLessThan(700);
		// Refused before the actor was looked up: nothing was created.
		const after = await postJson(
			`${t.url}/gateway/small/action/size?rvt-method=get&rvt-key=q`,
			'{"args":[]}',
		);
		expect(after.body).toMatchObject({ group: "actor", code: "not_found" });
	});

	it("that says it is too long is refused before a byte of it is read", async () => {
		// Read whole up to `maxHttpBodyBytes` (20 MiB) before the check (an audit, 2026-11-27).
		await using t = await setupTest(registry);
		// The head only: a server that waits for the body never answers.
		const socket = writeRaw(
			t.url,
			`POST /gateway/small/queue/raw?rvt-method=getOrCreate&rvt-key=q HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${SEND_LIMIT + 1}\r\n\r\n`,
		);
		await expect
			.poll(() => socket.answer(), { timeout: 3_000 })
			.toContain('"code":"message_too_large"');
		socket.destroy();
	});

	it("within the send limit is checked against the actor's own message limit, as before", async () => {
		await using t = await setupTest(registry);
		const url = (name: string) =>
			`${t.url}/gateway/${name}/queue/raw?rvt-method=getOrCreate&rvt-key=q`;
		// Verbose JSON for a small message (each "\u0000" is 6 bytes sent, 1 stored) is accepted.
		const escaped = `{"body":"${"\\u0000".repeat(50_000)}"}`;
		expect((await postJson(url("small"), escaped)).status).toBe(200);
		// 1 MiB of keys fits the send limit (set by `big`) but not `small`'s 64 KiB.
		const keys = manyKeys(1024 * 1024);
		expect((await postJson(url("small"), keys)).body).toMatchObject({
			group: "queue",
			code: "message_too_large",
			metadata: { limit: 64 * 1024 },
		});
		expect((await postJson(url("big"), manyKeys(200 * 1024))).status).toBe(200);
	});
});
