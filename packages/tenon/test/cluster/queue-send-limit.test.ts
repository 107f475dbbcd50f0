// A queue send whose Content-Length is over the send limit is refused before
// its body is read. On a cluster node the body was read whole first (up to
// 20 MiB), to be forwarded to the actor's owner, so the check came too late
// (a review, 2026-11-27).
import { connect } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertPostgresReachable, closeAdmin } from "../helpers/postgres.js";
import { TestCluster } from "./harness.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

it("a cluster node refuses a queue send that says it is too long, before reading it", async () => {
	const cluster = new TestCluster();
	try {
		const node = await cluster.start();
		const { port, hostname } = new URL(node.url);
		const socket = connect(Number(port), hostname);
		let answer = "";
		socket.on("data", (data) => {
			answer += data.toString("latin1");
		});
		socket.on("error", () => {});
		// The head only: a node that waits for the body never answers.
		socket.write(
			`POST /gateway/tally/queue/jobs?rvt-method=getOrCreate&rvt-key=q HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`,
		);
		await expect.poll(() => answer, { timeout: 5_000 }).toContain('"code":"message_too_large"');
		socket.destroy();
	} finally {
		await cluster.stop();
	}
}, 30_000);
