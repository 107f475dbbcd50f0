// On Node, the client sends its HTTP calls over node:http with keep-alive
// sockets of its own (Node's fetch cost a call about 2x the latency). The
// calls must behave as they did over fetch: answers and errors decoded the
// same, aborts, network failures, one socket reused, and none left idle
// after dispose; a custom fetch is still used for everything.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createSecureServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { bundleFixture } from "../helpers/child-server.js";
import { forwardRequest } from "../helpers/forward.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "../helpers/tls.js";

const box = actor({
	state: { count: 0 },
	actions: {
		increment: (c, by: number) => (c.state.count += by),
		bytes: (_c, n: number) => new Uint8Array(n).fill(7),
		refuse: () => {
			throw new UserError("no thanks", { code: "refused", metadata: { why: "test" } });
		},
		slow: async (_c, ms: number) => {
			await new Promise((resolve) => setTimeout(resolve, ms));
			return "late";
		},
	},
});
const registry = setup({ use: { box }, logLevel: "silent" });

/** Counts the TCP connections a server accepts and holds open. */
function watchSockets(server: Server): { opened: () => number; open: () => number } {
	const sockets = new Set<Socket>();
	let opened = 0;
	server.on("connection", (socket: Socket) => {
		opened++;
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	return { opened: () => opened, open: () => sockets.size };
}

/**
 * A plain server (or, with `tls`, an HTTPS one with the test certificate) in
 * front of Tenon's, counting connections (setupTest's server is internal).
 */
async function countingProxy(target: string, tls = false) {
	const userAgents = new Set<string>();
	const forward: RequestListener = async (req, res) => {
		userAgents.add(req.headers["user-agent"] ?? "");
		const answer = await forwardRequest(target, req);
		res.writeHead(answer.status, {
			"content-type": answer.headers.get("content-type") ?? "application/octet-stream",
		});
		res.end(Buffer.from(await answer.arrayBuffer()));
	};
	const front = tls
		? createSecureServer({ cert: TEST_TLS_CERT, key: TEST_TLS_KEY }, forward)
		: createServer(forward);
	const sockets = watchSockets(front as Server);
	await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
	const url = `${tls ? "https" : "http"}://127.0.0.1:${(front.address() as AddressInfo).port}`;
	return {
		url,
		sockets,
		userAgents,
		close: () => new Promise((resolve) => front.close(resolve)),
	};
}

describe("the client's HTTP calls on Node", () => {
	for (const encoding of ["cbor", "json", "bare"] as const)
		it(`decode answers and errors as before (${encoding})`, async () => {
			await using t = await setupTest(registry);
			const client = createClient<typeof registry>({ endpoint: t.url, encoding });
			const handle = client.box.getOrCreate(["a"]);
			expect(await handle.increment(2)).toBe(2);
			const bytes = await handle.bytes(3);
			// A plain Uint8Array of its own, not a Buffer over a socket's chunk.
			expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
			expect([...bytes]).toEqual([7, 7, 7]);
			await expect(handle.refuse()).rejects.toMatchObject({
				group: "user",
				code: "refused",
				metadata: { why: "test" },
			});
			await expect(client.box.get(["missing"]).increment(1)).rejects.toMatchObject({
				group: "actor",
				code: "not_found",
			});
			await client.dispose();
		});

	it("go over node:http, sharing keep-alive sockets between clients as fetch did", async () => {
		await using t = await setupTest(registry);
		const proxy = await countingProxy(t.url);
		try {
			const first = createClient<typeof registry>({ endpoint: proxy.url });
			const second = createClient<typeof registry>({ endpoint: proxy.url });
			for (let i = 0; i < 10; i++) {
				await first.box.getOrCreate(["b"]).increment(1);
				await second.box.getOrCreate(["b"]).increment(1);
			}
			expect(await first.box.getOrCreate(["b"]).increment(0)).toBe(20);
			// Node's fetch says "node"; this client names itself.
			expect([...proxy.userAgents]).toEqual(["tenon-client"]);
			expect(proxy.sockets.opened()).toBe(1);
			await first.dispose();
			await second.dispose();
		} finally {
			await proxy.close();
		}
	});

	it("does not reuse a socket past the idle time the server announced", async () => {
		// The server, in a child process (this one's loop is blocked below),
		// announces 2 s of keep-alive and closes an idle socket after 1.5 s.
		const child = spawn(
			process.execPath,
			[
				"-e",
				`const s = require("node:http").createServer((req, res) => {
					req.resume();
					req.on("end", () => {
						res.setHeader("keep-alive", "timeout=2");
						res.setHeader("content-type", "application/json");
						res.end('{"output":' + Date.now() + '}');
						setTimeout(() => req.socket.destroy(), 1500);
					});
				});
				s.listen(0, "127.0.0.1", () => console.log(s.address().port));`,
			],
			{ stdio: ["ignore", "pipe", "inherit"] },
		);
		try {
			const port = await new Promise<string>((resolve) =>
				child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim())),
			);
			const client = createClient<typeof registry>({
				endpoint: `http://127.0.0.1:${port}`,
				encoding: "json",
			});
			const handle = client.box.getForId("x");
			await handle.increment(1);
			// Past the announced 2 s less a second, before the server closes...
			await new Promise((resolve) => setTimeout(resolve, 1_250));
			// ...and busy while it does, so its close is not seen before the call.
			const until = Date.now() + 400;
			while (Date.now() < until) {}
			expect(typeof (await handle.increment(1))).toBe("number");
			await client.dispose();
		} finally {
			child.kill();
		}
	});

	it("use fetch while the process has replaced it (a stub, a wrapper)", async () => {
		await using t = await setupTest(registry);
		const original = globalThis.fetch;
		const seen: string[] = [];
		globalThis.fetch = (input, init) => {
			seen.push(String(input));
			return original(input, init);
		};
		try {
			const client = createClient<typeof registry>({ endpoint: t.url });
			expect(await client.box.getOrCreate(["stub"]).increment(2)).toBe(2);
			expect(seen.some((url) => url.includes("/action/increment"))).toBe(true);
			await client.dispose();
		} finally {
			globalThis.fetch = original;
		}
	});

	it("reject an aborted call with the signal's reason, and keep serving", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url });
		const handle = client.box.getOrCreate(["c"]);
		const reason = new Error("changed my mind");
		const controller = new AbortController();
		const pending = handle.action({ name: "slow", args: [600], signal: controller.signal });
		setTimeout(() => controller.abort(reason), 50);
		await expect(pending).rejects.toBe(reason);
		const early = new AbortController();
		early.abort(reason);
		await expect(
			handle.action({ name: "increment", args: [1], signal: early.signal }),
		).rejects.toBe(reason);
		expect(await handle.increment(1)).toBe(1);
		await client.dispose();
	});

	it("let many calls share one signal without a listener warning, and abort them all", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url });
		const warnings: string[] = [];
		const onWarning = (warning: Error) => warnings.push(warning.name);
		process.on("warning", onWarning);
		try {
			const shared = new AbortController();
			const handle = client.box.getOrCreate(["shared"]);
			// Twenty calls in flight at once, then twenty more in a row, on one signal.
			await Promise.all(
				Array.from({ length: 20 }, () =>
					handle.action({ name: "increment", args: [1], signal: shared.signal }),
				),
			);
			for (let i = 0; i < 20; i++)
				await handle.action({ name: "increment", args: [1], signal: shared.signal });
			const reason = new Error("stop");
			const pending = Array.from({ length: 12 }, () =>
				handle.action({ name: "slow", args: [300], signal: shared.signal }),
			);
			setTimeout(() => shared.abort(reason), 50);
			for (const call of pending) await expect(call).rejects.toBe(reason);
			await new Promise((resolve) => setImmediate(resolve));
			expect(warnings).not.toContain("MaxListenersExceededWarning");
			expect(await handle.increment(0)).toBe(40);
		} finally {
			process.off("warning", onWarning);
			await client.dispose();
		}
	});

	it("turn a refused connection into client/network_error", async () => {
		const probe = createServer();
		await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
		const port = (probe.address() as AddressInfo).port;
		await new Promise((resolve) => probe.close(resolve));
		const client = createClient<typeof registry>({ endpoint: `http://127.0.0.1:${port}` });
		await expect(client.box.getOrCreate(["d"]).increment(1)).rejects.toMatchObject({
			group: "client",
			code: "network_error",
		});
		await client.dispose();
	});

	it("refuse an endpoint with credentials in its URL, as fetch does, and never show them", async () => {
		await using t = await setupTest(registry);
		// Over node:http, and over fetch, whose own error text holds the whole URL.
		for (const fetch of [undefined, globalThis.fetch]) {
			const client = createClient<typeof registry>({
				endpoint: t.url.replace("http://", "http://user:secret@"),
				...(fetch === undefined ? {} : { fetch }),
			});
			const refused = client.box.getOrCreate(["creds"], { createWithInput: { pin: "4711" } });
			const error = await refused.increment(1).catch((caught: unknown) => caught);
			expect(error).toMatchObject({
				group: "client",
				code: "network_error",
				message: expect.stringContaining("credentials"),
			});
			// Messages end up in logs: neither the password nor the query (the input) is in it
			// (both were before 2026-11-27).
			const { message } = error as Error;
			expect(message).toContain(`Request to ${t.url}/gateway/box/action/increment failed`);
			expect(message).not.toMatch(/secret|rvt-/);
			await client.dispose();
		}
	});

	it("turn an answer cut off midway into client/network_error", async () => {
		const cut = createServer((_req, res) => {
			res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
			res.write('{"output":');
			setTimeout(() => res.socket?.destroy(), 10);
		});
		await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
		try {
			const port = (cut.address() as AddressInfo).port;
			const client = createClient<typeof registry>({
				endpoint: `http://127.0.0.1:${port}`,
				encoding: "json",
			});
			await expect(client.box.getForId("x").increment(1)).rejects.toMatchObject({
				group: "client",
				code: "network_error",
			});
			await client.dispose();
		} finally {
			await new Promise((resolve) => cut.close(resolve));
		}
	});

	it("use fetch when the process wrapped it before the client loaded", async () => {
		await using t = await setupTest(registry);
		const script = await bundleFixture(
			join(import.meta.dirname, "fixtures", "stubbed-fetch-call.ts"),
		);
		const { stdout } = await promisify(execFile)(process.execPath, [script], {
			env: { ...process.env, ENDPOINT: t.url },
		});
		expect(stdout.trim()).toBe("SEEN true OUTPUT 3");
	});

	it("go through a custom fetch when one is given", async () => {
		await using t = await setupTest(registry);
		const seen: string[] = [];
		const client = createClient<typeof registry>({
			endpoint: t.url,
			fetch: (input, init) => {
				seen.push(String(input));
				return fetch(input, init);
			},
		});
		expect(await client.box.getOrCreate(["e"]).increment(4)).toBe(4);
		expect(seen.length).toBeGreaterThan(0);
		expect(seen.every((url) => url.startsWith(t.url))).toBe(true);
		await client.dispose();
	});

	it("verify an HTTPS endpoint's certificate: refused when untrusted, served when trusted", async () => {
		await using t = await setupTest(registry);
		const proxy = await countingProxy(t.url, true);
		try {
			const untrusted = createClient<typeof registry>({ endpoint: proxy.url });
			await expect(untrusted.box.getOrCreate(["tls"]).increment(1)).rejects.toMatchObject({
				group: "client",
				code: "network_error",
				message: expect.stringMatching(/self[- ]signed|certificate/i),
			});
			await untrusted.dispose();
			// Trusted the way Node trusts a private CA: NODE_EXTRA_CA_CERTS, read at start.
			const caFile = join(mkdtempSync(join(tmpdir(), "tenon-ca-")), "test-ca.pem");
			writeFileSync(caFile, TEST_TLS_CERT);
			const script = await bundleFixture(join(import.meta.dirname, "fixtures", "https-call.ts"));
			const { stdout } = await promisify(execFile)(process.execPath, [script], {
				env: { ...process.env, ENDPOINT: proxy.url, NODE_EXTRA_CA_CERTS: caFile },
			});
			expect(stdout.trim()).toBe("OUTPUT 5");
		} finally {
			await proxy.close();
		}
	});
});
