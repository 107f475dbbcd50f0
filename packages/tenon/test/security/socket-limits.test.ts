// Regression: only WebSockets were counted per client address and per node. Plain TCP
// connections counted nowhere, so one address could open connections (idle ones last
// `headersTimeoutMs`, keep-alive ones as long as it sends a request every few seconds) until
// the process had no descriptor left: 20,000 from one machine here, and every other client's
// connection then timed out in the kernel's backlog. Real server, raw sockets.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import { postgresDriver } from "../../src/storage/drivers/postgres/index.js";
import { dropSchema, freshSchema, POSTGRES_URL } from "../helpers/postgres.js";

const counter = actor({ state: { n: 0 }, actions: { increment: (c) => ++c.state.n } });

let server: TenonServer | undefined;
const sockets: Socket[] = [];
const schemas: string[] = [];

afterEach(async () => {
	for (const socket of sockets.splice(0)) socket.destroy();
	await server?.close();
	server = undefined;
	for (const schema of schemas.splice(0)) await dropSchema(schema);
});

async function start(
	limits: { maxSocketsPerAddress?: number; maxSockets?: number },
	limitLoopback: boolean,
	storage: "memory" | "postgres" = "memory",
): Promise<TenonServer> {
	const schema = freshSchema();
	if (storage === "postgres") schemas.push(schema);
	server = await setup({
		use: { counter },
		logLevel: "silent",
		limits,
		rateLimits: { limitLoopback },
	}).start({
		port: 0,
		host: "127.0.0.1",
		storage:
			storage === "memory"
				? memoryDriver()
				: postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 2 }),
	});
	return server;
}

/** What one connection got: an answer to a health check, or a close with nothing read. */
async function healthOn(target: TenonServer): Promise<{ socket: Socket; answered: boolean }> {
	const url = new URL(target.url);
	const socket = connect(Number(url.port), url.hostname);
	sockets.push(socket);
	socket.on("error", () => {});
	const answered = await new Promise<boolean>((resolve) => {
		let received = "";
		socket.on("data", (data: Buffer) => {
			received += data.toString("latin1");
			if (received.startsWith("HTTP/1.1 200") && received.includes("\r\n\r\n")) resolve(true);
		});
		socket.once("close", () => resolve(false));
		socket.once("connect", () => socket.write(`GET /health HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`));
	});
	return { socket, answered };
}

async function waitFor(check: () => boolean): Promise<void> {
	const began = Date.now();
	while (!check()) {
		if (Date.now() - began > 5_000) throw new Error("timed out");
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe("TCP connections a node takes", () => {
	it("one address gets at most maxSocketsPerAddress; a closed one makes room", async () => {
		const target = await start({ maxSocketsPerAddress: 4 }, true);
		const held = [];
		// Each answered, so the server has accepted and counted it (they stay open: keep-alive).
		for (let i = 0; i < 4; i++) {
			const connection = await healthOn(target);
			expect(connection.answered).toBe(true);
			held.push(connection.socket);
		}
		const refused = await healthOn(target);
		expect(refused.answered).toBe(false);
		expect(held.every((socket) => !socket.destroyed)).toBe(true);
		const first = held[0] as Socket;
		first.destroy();
		await waitFor(() => first.closed);
		// The server hears the close a moment later (asked for up to 5 s: 20 tries 25 ms apart
		// were a race on a loaded machine).
		await expect
			.poll(async () => (await healthOn(target)).answered, { timeout: 5_000, interval: 25 })
			.toBe(true);
	});

	it("does not limit loopback peers per address unless rateLimits.limitLoopback is set", async () => {
		const target = await start({ maxSocketsPerAddress: 2 }, false);
		for (let i = 0; i < 5; i++) expect((await healthOn(target)).answered).toBe(true);
	});

	it("on PostgreSQL storage (whose nodes connect to each other) limits an address only when set", async () => {
		const target = await start({}, true, "postgres");
		for (let i = 0; i < 5; i++) expect((await healthOn(target)).answered).toBe(true);
		await target.close();
		const limited = await start({ maxSocketsPerAddress: 2 }, true, "postgres");
		for (let i = 0; i < 2; i++) expect((await healthOn(limited)).answered).toBe(true);
		expect((await healthOn(limited)).answered).toBe(false);
	});

	it("takes at most maxSockets in all", async () => {
		const target = await start({ maxSockets: 3 }, false);
		for (let i = 0; i < 3; i++) expect((await healthOn(target)).answered).toBe(true);
		expect((await healthOn(target)).answered).toBe(false);
	});
});
