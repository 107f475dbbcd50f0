// A Yjs document survives SIGKILL with every acknowledged update: a client
// edits, each edit acknowledged once the actor stored it; the server is
// killed while the next edits are in flight; after a restart a fresh client
// sees every acknowledged edit.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import * as Y from "yjs";
import { createClient } from "../../src/client/index.js";
import { TenonYjsProvider } from "../../src/yjs/index.js";
import { startChildServer, tempDataDir } from "../helpers/child-server.js";
import type { yjsRegistry } from "./fixtures.js";

const fixture = join(import.meta.dirname, "yjs-server.ts");
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("keeps every acknowledged update across 5 kills", async () => {
	const dataDir = tempDataDir("yjs-sigkill");
	dirs.push(dataDir);
	let server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir });
	const port = new URL(server.url).port;
	const acknowledged: string[] = [];
	try {
		for (let round = 0; round < 5; round++) {
			const client = createClient<typeof yjsRegistry>({
				endpoint: server.url,
				reconnect: { minDelayMs: 20, maxDelayMs: 100 },
			});
			const doc = new Y.Doc();
			const conn = client.note.getOrCreate("crash", { params: { user: "ann" } }).connect();
			const provider = new TenonYjsProvider(doc, conn);
			await provider.whenSynced();
			// Everything acknowledged before is there.
			const text = doc.getText("text").toString();
			for (const edit of acknowledged) expect(text).toContain(edit);
			for (let i = 0; i < 10; i++) {
				const edit = `[${round}.${i}]`;
				doc.getText("text").insert(doc.getText("text").length, edit);
				await provider.flushed();
				acknowledged.push(edit);
			}
			// More edits in flight, then the kill.
			for (let i = 10; i < 15; i++)
				doc.getText("text").insert(doc.getText("text").length, `[${round}.${i}?]`);
			await server.kill();
			provider.destroy();
			await client.dispose();
			server = await startChildServer(fixture, { TENON_DATA_DIR: dataDir, TENON_PORT: port });
		}
		const reader = createClient<typeof yjsRegistry>({ endpoint: server.url });
		const text = await reader.note.getOrCreate("crash", { params: { user: "bob" } }).text();
		for (const edit of acknowledged) expect(text).toContain(edit);
		// In order: acknowledged edits were appended one after the other.
		const positions = acknowledged.map((edit) => text.indexOf(edit));
		expect(positions).toEqual([...positions].sort((a, b) => a - b));
		await reader.dispose();
	} finally {
		await server.stop();
	}
}, 120_000);
