// The inspector's stream slots (state and event streams, see
// inspector-stream-slots.ts) against one caller holding them all, and their
// release however a client goes away (2026-11-26). Clients at many addresses
// are made with the server core's `fetch(request, { remoteAddress })`, as the
// Node adapter calls it: a test machine's sockets all come from one address.
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import {
	MAX_READ_ONLY_STREAMS,
	MAX_STREAMS,
	MAX_STREAMS_PER_CALLER,
} from "../../src/server/inspector-stream-slots.js";
import type { ServerCore } from "../../src/server/server-core.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";
import { setupTest } from "../../src/test/index.js";
import { ADMIN_TOKEN, INSPECTOR_TOKEN } from "./fixture.js";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const KINDS = ["state", "events"] as const;

const watched = actor({
	state: { count: 0 },
	actions: { increment: (c) => ++c.state.count },
});
const registry = setup({
	use: { watched },
	admin: { token: ADMIN_TOKEN },
	inspector: { token: INSPECTOR_TOKEN },
	logLevel: "silent",
});

/** A server core without a socket, and an actor on it. */
async function startCore(
	on = registry,
): Promise<{ core: ServerCore; actorId: string } & AsyncDisposable> {
	const { runtime, core } = await on.createRuntime({
		storage: memoryDriver(),
		bindHost: "127.0.0.1",
	});
	const created = await core.fetch(
		new Request("http://127.0.0.1/inspector/actors", {
			method: "POST",
			headers: { ...admin, host: "127.0.0.1", "content-type": "application/json" },
			body: JSON.stringify({ name: "watched", key: "k" }),
		}),
	);
	const { actor: summary } = (await created.json()) as { actor: { actorId: string } };
	return { core, actorId: summary.actorId, [Symbol.asyncDispose]: () => runtime.stop() };
}

/** Streams opened through a core as clients at given addresses; `close` ends them all. */
class CoreClients {
	readonly #aborts: AbortController[] = [];
	constructor(
		readonly core: ServerCore,
		readonly actorId: string,
	) {}

	/** Opens a stream; its status, error body, and the abort that ends it. */
	async open(
		headers: Record<string, string>,
		remoteAddress: string,
		kind: (typeof KINDS)[number] = "state",
	): Promise<{ status: number; body?: Record<string, unknown>; abort: AbortController }> {
		const abort = new AbortController();
		const response = await this.core.fetch(
			new Request(`http://127.0.0.1/inspector/actors/${this.actorId}/${kind}/stream`, {
				headers: { ...headers, host: "127.0.0.1" },
				signal: abort.signal,
			}),
			{ remoteAddress },
		);
		if (response.status !== 200)
			return { status: response.status, body: (await response.json()) as never, abort };
		this.#aborts.push(abort);
		return { status: 200, abort };
	}

	/** Opens `count` streams (state and event streams in turn), each of which must open. */
	async fill(headers: Record<string, string>, remoteAddress: string, count: number) {
		for (let i = 0; i < count; i++)
			expect((await this.open(headers, remoteAddress, KINDS[i % 2])).status).toBe(200);
	}

	close(): void {
		for (const abort of this.#aborts) abort.abort();
	}
}

describe("inspector stream slots", () => {
	it("caps one caller (a token from one address) under the server's cap; others keep theirs", async () => {
		await using server = await startCore();
		const clients = new CoreClients(server.core, server.actorId);
		try {
			await clients.fill(reader, "203.0.113.7", MAX_STREAMS_PER_CALLER);
			// Before 2026-11-26 one reader took every read-only slot (80) from one address.
			for (const kind of KINDS) {
				const refused = await clients.open(reader, "203.0.113.7", kind);
				expect(refused.status).toBe(429);
				expect(refused.body).toMatchObject({
					group: "limit",
					code: "too_many_requests",
					metadata: { scope: "caller", limit: MAX_STREAMS_PER_CALLER },
				});
			}
			// The same client written as mapped IPv6 is the same caller.
			expect((await clients.open(reader, "::ffff:203.0.113.7")).status).toBe(429);
			// Another reader, and the admin at the same address, are not locked out.
			expect((await clients.open(reader, "198.51.100.9")).status).toBe(200);
			expect((await clients.open(admin, "203.0.113.7")).status).toBe(200);
			// An IPv6 client counts by its /64, as the server's other per-address limits do.
			await clients.fill(reader, "2001:db8:1:2::a", MAX_STREAMS_PER_CALLER / 2);
			await clients.fill(reader, "2001:db8:1:2::b", MAX_STREAMS_PER_CALLER / 2);
			expect((await clients.open(reader, "2001:db8:1:2:ffff::c")).status).toBe(429);
			expect((await clients.open(reader, "2001:db8:1:3::a")).status).toBe(200);
			// One admin client cannot take the whole server either.
			await clients.fill(admin, "192.0.2.50", MAX_STREAMS_PER_CALLER);
			expect((await clients.open(admin, "192.0.2.50")).status).toBe(429);
			expect((await clients.open(admin, "192.0.2.51")).status).toBe(200);
			// A stream that ends gives its caller's slot back.
			const more = await clients.open(reader, "198.51.100.77");
			expect(more.status).toBe(200);
			await clients.fill(reader, "198.51.100.77", MAX_STREAMS_PER_CALLER - 1);
			expect((await clients.open(reader, "198.51.100.77")).status).toBe(429);
			more.abort.abort();
			expect((await clients.open(reader, "198.51.100.77")).status).toBe(200);
		} finally {
			clients.close();
		}
	});

	it("caps a loopback caller where the server limits loopback (rateLimits.limitLoopback)", async () => {
		const behindProxy = setup({
			use: { watched },
			admin: { token: ADMIN_TOKEN },
			inspector: { token: INSPECTOR_TOKEN },
			rateLimits: { limitLoopback: true },
			logLevel: "silent",
		});
		await using server = await startCore(behindProxy);
		const clients = new CoreClients(server.core, server.actorId);
		try {
			await clients.fill(reader, "127.0.0.1", MAX_STREAMS_PER_CALLER);
			// Before: loopback was never capped per caller, whatever the server's rate limits said.
			const refused = await clients.open(reader, "127.0.0.1");
			expect(refused.status).toBe(429);
			expect(refused.body).toMatchObject({ metadata: { scope: "caller" } });
			expect((await clients.open(admin, "127.0.0.1")).status).toBe(200);
		} finally {
			clients.close();
		}
	});

	it("keeps the read-only share and the server's cap across callers, with the cap that refused", async () => {
		await using server = await startCore();
		const clients = new CoreClients(server.core, server.actorId);
		try {
			const readers = MAX_READ_ONLY_STREAMS / MAX_STREAMS_PER_CALLER;
			for (let i = 0; i < readers; i++)
				await clients.fill(reader, `198.51.100.${i + 1}`, MAX_STREAMS_PER_CALLER);
			expect((await clients.open(reader, "198.51.100.200")).body).toMatchObject({
				code: "too_many_requests",
				metadata: { scope: "role", limit: MAX_READ_ONLY_STREAMS },
			});
			await clients.fill(admin, "192.0.2.1", MAX_STREAMS - MAX_READ_ONLY_STREAMS);
			expect((await clients.open(admin, "192.0.2.2")).body).toMatchObject({
				code: "too_many_requests",
				metadata: { scope: "node", limit: MAX_STREAMS },
			});
		} finally {
			clients.close();
		}
	});

	it("counts slots per server: streams open on one server never refuse another's", async () => {
		await using first = await setupTest(registry);
		await using second = await setupTest(registry);
		const streamUrl = async (t: typeof first) => {
			const actorId = await t.client.watched.getOrCreate("shared").resolve();
			return `${t.url}/inspector/actors/${actorId}/state/stream`;
		};
		const aborts: AbortController[] = [];
		// Held: undici closes the connection of a response the garbage collector finds
		// unreferenced, and the server then frees its slot (a gate saw 200 for the 81st).
		const open: Response[] = [];
		try {
			const url = await streamUrl(first);
			// Loopback clients are not capped per caller: one fills the read-only share.
			for (let i = 0; i < MAX_READ_ONLY_STREAMS; i++) {
				const abort = new AbortController();
				aborts.push(abort);
				open.push(await fetch(url, { headers: reader, signal: abort.signal }));
				expect(open.at(-1)?.status).toBe(200);
			}
			expect((await fetch(url, { headers: reader })).status).toBe(429);
			// Before 2026-11-26 the count was the process's: the second server refused too.
			const abort = new AbortController();
			aborts.push(abort);
			const other = await fetch(await streamUrl(second), { headers: reader, signal: abort.signal });
			open.push(other);
			expect(other.status).toBe(200);
		} finally {
			for (const abort of aborts) abort.abort();
		}
	}, 60_000);

	it("caps a caller on a real socket from a non-loopback address of this machine", async (context) => {
		const address = Object.values(networkInterfaces())
			.flat()
			.find((info) => info !== undefined && info.family === "IPv4" && !info.internal)?.address;
		// Reason: every address of this machine is loopback, which is not capped per caller.
		if (address === undefined) return context.skip();
		await using server = await registry.start({ host: address, port: 0, storage: memoryDriver() });
		const created = await fetch(`${server.url}/inspector/actors`, {
			method: "POST",
			headers: { ...admin, "content-type": "application/json" },
			body: JSON.stringify({ name: "watched", key: "socket" }),
		});
		const { actor: summary } = (await created.json()) as { actor: { actorId: string } };
		const url = `${server.url}/inspector/actors/${summary.actorId}/events/stream`;
		const aborts: AbortController[] = [];
		// Held, so the garbage collector does not close their connections (see above).
		const held: Response[] = [];
		const open = async (headers: Record<string, string>) => {
			const abort = new AbortController();
			aborts.push(abort);
			const response = await fetch(url, { headers, signal: abort.signal });
			held.push(response);
			return response.status;
		};
		try {
			for (let i = 0; i < MAX_STREAMS_PER_CALLER; i++) expect(await open(reader)).toBe(200);
			expect(await open(reader)).toBe(429);
			expect(await open(admin)).toBe(200);
		} finally {
			for (const abort of aborts) abort.abort();
		}
	}, 60_000);
});

/** How a test client leaves a stream. */
type Leave = "abort" | "destroy" | "half-close" | "before-answer";

/**
 * Opens a read-only stream on a raw socket; resolves with the socket once the
 * answer's head came (or at once for `before-answer`), rejects on a refusal.
 */
function openRaw(url: string, leave: Leave): Promise<Socket> {
	const { hostname, port, pathname } = new URL(url);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(port), hostname, () => {
			socket.write(
				`GET ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: Bearer ${INSPECTOR_TOKEN}\r\n\r\n`,
			);
			if (leave === "before-answer") resolve(socket);
		});
		let head = "";
		socket.setEncoding("utf8");
		socket.on("data", (chunk: string) => {
			head += chunk;
			if (leave === "before-answer" || !head.includes("\r\n\r\n")) return;
			if (head.startsWith("HTTP/1.1 200")) resolve(socket);
			else {
				socket.destroy();
				reject(new Error(head.slice(0, 12)));
			}
		});
		socket.on("error", reject);
	});
}

describe("inspector stream slots go back however the client leaves", () => {
	for (const leave of ["abort", "destroy", "half-close", "before-answer"] as const)
		for (const kind of KINDS)
			it(`${kind} stream, ${leave}`, async () => {
				await using t = await setupTest(registry);
				const actorId = await t.client.watched.getOrCreate(leave).resolve();
				const url = `${t.url}/inspector/actors/${actorId}/${kind}/stream`;
				for (let i = 0; i < MAX_READ_ONLY_STREAMS; i++) {
					if (leave === "abort") {
						const abort = new AbortController();
						const response = await fetch(url, { headers: reader, signal: abort.signal });
						expect(response.status).toBe(200);
						await (response.body as ReadableStream<Uint8Array>).getReader().read();
						abort.abort();
						continue;
					}
					const socket = await openRaw(url, leave);
					if (leave === "half-close") socket.end();
					else socket.destroy();
				}
				// Every slot comes back (the server learns of each client's leaving as its socket closes).
				const held: Socket[] = [];
				try {
					await expect
						.poll(async () => {
							while (held.length < MAX_READ_ONLY_STREAMS) {
								const socket = await openRaw(url, "destroy").catch(() => undefined);
								if (socket === undefined) break;
								held.push(socket);
							}
							return held.length;
						})
						.toBe(MAX_READ_ONLY_STREAMS);
					await expect(openRaw(url, "destroy")).rejects.toThrow("HTTP/1.1 429");
				} finally {
					for (const socket of held) socket.destroy();
				}
			}, 60_000);
});
