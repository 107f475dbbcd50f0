// Connections survive a crash: the server is SIGKILLed, restarted on the same
// port and data, and the client's connection resumes with its id and conn
// state (written with the commits acknowledged before the kill).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { chatRegistry } from "./fixtures/chat.js";

const fixture = join(import.meta.dirname, "fixtures", "chat-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("a connection resumes with its conn state after SIGKILL and restart, 5 times", async () => {
	const dataDir = tempDataDir("conn-sigkill");
	dirs.push(dataDir);
	let server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
	const port = new URL(server.url).port;
	const client = createClient<typeof chatRegistry>({
		endpoint: server.url,
		reconnect: { minDelayMs: 50, maxDelayMs: 200 },
	});
	const ann = client.room.getOrCreate("crash", { params: { name: "ann" } }).connect();
	const bob = client.room.getOrCreate("crash", { params: { name: "bob" } }).connect();
	const heard: string[] = [];
	bob.on("said", (from, text) => heard.push(`${from}:${text}`));
	const { id: annId } = await ann.me();
	const { id: bobId } = await bob.me();
	let count = 0;
	try {
		for (let round = 1; round <= 5; round++) {
			// Acknowledged, so its write (state and conn state) is durable.
			count = await ann.say(`before kill ${round}`);
			await server.kill();
			server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir, TENON_PORT: port });
			// The first call after the restart goes out once the client reconnected and resumed.
			expect(await ann.say(`after kill ${round}`)).toBe(count + 1);
			count++;
			expect(await ann.me()).toEqual({ id: annId, state: { name: "ann", count } });
			expect(await bob.me()).toEqual({ id: bobId, state: { name: "bob", count: 0 } });
		}
		const stats = await ann.stats();
		// Two connections, each connected once: resuming runs no onConnect.
		expect(stats.joins).toBe(2);
		expect(stats.online).toBe(2);
		expect(stats.said).toHaveLength(10);
		// Both resumed (the calls above went through each connection): bob hears ann.
		// (Events sent while bob's socket was down are not replayed.)
		await ann.say("final");
		await expect.poll(() => heard).toContain("ann:final");
	} finally {
		await client.dispose();
		await server.stop();
	}
}, 120_000);
