// Regression: a client that reset its connection in the middle of a request body was logged
// as a server failure ("request failed" at error level, `Error: aborted` ECONNRESET), so an
// operator alerting on errors was paged for every client that went away (an attacker probe
// saw them, 2026-11-27). The client is gone: nothing is answered, and it is logged at debug.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const logged: { level: string; message: string }[] = [];

const uploads = actor({
	state: { n: 0 },
	actions: { count: (c, _payload: string) => ++c.state.n },
	onRequest: async (_c, request) => new Response(String((await request.arrayBuffer()).byteLength)),
});

let server: TenonServer | undefined;

afterEach(async () => {
	await server?.close();
	server = undefined;
	logged.length = 0;
});

/** Sends a chunked body's first piece on `path`, then resets the connection. */
async function resetMidBody(target: TenonServer, path: string): Promise<void> {
	const url = new URL(target.url);
	const socket = connect(Number(url.port), url.hostname);
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	socket.write(
		`POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"arg\r\n`,
	);
	await new Promise((resolve) => setTimeout(resolve, 100));
	socket.resetAndDestroy();
	await new Promise((resolve) => setTimeout(resolve, 300));
}

describe("a client that resets mid-body", () => {
	for (const [what, path] of [
		["an action call", "/gateway/uploads/action/count?rvt-method=getOrCreate&rvt-key=u"],
		["a raw request", "/gateway/uploads/request/upload?rvt-method=getOrCreate&rvt-key=u"],
	] as const) {
		it(`is not logged as a server error (${what})`, async () => {
			server = await setup({
				use: { uploads },
				logger: createLogger({
					level: "debug",
					sink: (level, message) => logged.push({ level, message }),
				}),
			}).start({ port: 0, host: "127.0.0.1", storage: memoryDriver() });
			for (let round = 0; round < 3; round++) await resetMidBody(server, path);
			expect(logged.filter((entry) => entry.level === "error" || entry.level === "warn")).toEqual(
				[],
			);
			// The server serves on.
			expect((await fetch(`${server.url}/health`)).status).toBe(200);
		});
	}
});
