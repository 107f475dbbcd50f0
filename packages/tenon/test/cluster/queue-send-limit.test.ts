// A queue send whose Content-Length is over the send limit is refused before
// its body is read. On a cluster node the body was read whole first (up to
// 20 MiB), to be forwarded to the actor's owner, so the check came too late
// (a review, 2026-11-27).
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { writeRaw } from "../helpers/raw.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

it("a cluster node refuses a queue send that says it is too long, before reading it", async () => {
	const cluster = new TestCluster();
	try {
		const node = await cluster.start();
		// The head only: a node that waits for the body never answers.
		const socket = writeRaw(
			node.url,
			`POST /gateway/tally/queue/jobs?rvt-method=getOrCreate&rvt-key=q HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`,
		);
		await expect
			.poll(() => socket.answer(), { timeout: 5_000 })
			.toContain('"code":"message_too_large"');
		socket.destroy();
	} finally {
		await cluster.stop();
	}
}, 30_000);
