// Regression (an attacker probe, 2026-11-27): requests Node's parser refuses were answered with
// a bare status and no body, so a client got no `group/code` as every other error has, and
// headers over Node's limit (a browser's large cookies) read as a generic 400. Now: 431
// request/headers_too_large, 400 request/malformed, each with a JSON error body.
import { afterEach, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { exchangeUntilClosed } from "../helpers/raw-http.js";

const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
let server: TenonServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

const startServer = () =>
	setup({ use: { counter }, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});

/** Sends `bytes` on a raw socket and reads until the server closes it. */
const exchange = (target: TenonServer, bytes: string) => exchangeUntilClosed(target.url, bytes);

function answerOf(received: string): { status: number; body: Record<string, unknown> } {
	const [head = "", body = ""] = received.split("\r\n\r\n");
	expect(head).toMatch(/\r\ncontent-type: application\/json/i);
	return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: JSON.parse(body) };
}

describe("requests Node cannot parse", () => {
	it("get a status and a group/code body, and the server keeps serving", async () => {
		server = await startServer();
		const host = new URL(server.url).host;
		const cases: [string, number, string][] = [
			[
				`GET /health HTTP/1.1\r\nhost: ${host}\r\ncookie: ${"c".repeat(20_000)}\r\n\r\n`,
				431,
				"headers_too_large",
			],
			[
				`GET /health HTTP/1.1\r\nhost: ${host}\r\n${"x-some-header: some value\r\n".repeat(3_000)}\r\n`,
				431,
				"headers_too_large",
			],
			["FOOBAR / HTTP/1.1\r\n\r\n", 400, "malformed"],
			// Parsed by Node, but no Web Request takes them: a bare 400 before 2026-11-27.
			[`TRACE /metrics HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`, 400, "malformed"],
			[`OPTIONS * HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`, 400, "malformed"],
			["GET / HTTP/1.1\r\nbad header\r\n\r\n", 400, "malformed"],
		];
		for (const [bytes, status, code] of cases) {
			const answer = answerOf(await exchange(server, bytes));
			expect(answer.status).toBe(status);
			expect(answer.body).toMatchObject({ group: "request", code });
		}
		const ok = await fetch(
			`${server.url}/gateway/counter/action/inc?rvt-method=getOrCreate&rvt-key=a`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":[]}' },
		);
		expect(await ok.json()).toEqual({ output: 1 });
	});

	it("an expectation other than 100-continue gets 417 request/expectation_failed, and the action does not run", async () => {
		// Regression: Node answered a bare 417 with no body.
		server = await startServer();
		const host = new URL(server.url).host;
		const path = "/gateway/counter/action/inc?rvt-method=getOrCreate&rvt-key=a";
		const body = '{"args":[]}';
		const answer = answerOf(
			await exchange(
				server,
				`POST ${path} HTTP/1.1\r\nhost: ${host}\r\nexpect: foo\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
			),
		);
		expect(answer.status).toBe(417);
		expect(answer.body).toMatchObject({ group: "request", code: "expectation_failed" });
		const ok = await fetch(`${server.url}${path}`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body,
		});
		expect(await ok.json()).toEqual({ output: 1 });
	});
});
