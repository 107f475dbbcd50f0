// A request body in chunked encoding may come in as many chunks as its
// sender likes, and Node's parser costs about 5 µs of the event loop per
// chunk whatever its size: an attacker probe's 1,000,000 one-byte chunks (6 MB
// on the wire, one request) held the loop 5 s, and the 2,000,000 chunks of a
// 2 MB body took 434 MB of heap while it was read. A chunked body may come in
// 4,096 chunks, one more per 16 bytes and 100 more a second (ChunkBudget); a
// first budget of one per 256 bytes refused clients streaming small rows (a
// review), and a body with a content-length has none (its pieces are reads).
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const box = actor({
	state: { n: 0 },
	actions: {
		inc: (c) => ++c.state.n,
		length: (_c, text: string) => text.length,
		digest: (_c, text: string) => sha1(text),
	},
});

const uploads = actor({
	state: {},
	onRequest: async (_c, request) => {
		try {
			const body = await request.arrayBuffer();
			return Response.json({ got: body.byteLength });
		} catch (error) {
			return Response.json(
				{ failed: (error as { code?: string }).code ?? String(error) },
				{ status: 400 },
			);
		}
	},
});

function sha1(text: string): string {
	return createHash("sha1").update(text).digest("hex");
}

/** `length` characters that differ from chunk to chunk (a reordered part would show). */
function patterned(length: number): string {
	let text = "";
	for (let i = 0; text.length < length; i++) text += `${i.toString(36)},`;
	return text.slice(0, length);
}

const registry = setup({ use: { box, uploads }, logLevel: "silent" });

const actionPath = "/gateway/box/action/length?rvt-method=getOrCreate&rvt-key=a";
const rawPath = "/gateway/uploads/request/up?rvt-method=getOrCreate&rvt-key=a";

/** `text` in chunked encoding, `size` characters a chunk. */
function chunked(text: string, size: number): Buffer {
	const parts: string[] = [];
	for (let at = 0; at < text.length; at += size) {
		const piece = text.slice(at, at + size);
		parts.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
	}
	parts.push("0\r\n\r\n");
	return Buffer.from(parts.join(""), "latin1");
}

/** CPU time the process has used (user and system, all threads), in ms. */
function cpuMs(): number {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1000;
}

/**
 * Sends a POST with a chunked body over a raw socket; resolves with the answer's head and
 * body, and `ms`: the time it took, counting at most the CPU time the process used meanwhile
 * (the parse this is about uses the CPU all along; wall time alone also held what a loaded
 * machine gave other processes, and read 900 ms to 2.7 s for a refusal that takes 0.1 s).
 */
function postChunked(
	base: string,
	path: string,
	body: Buffer,
): Promise<{ status: number; body: string; ms: number }> {
	const url = new URL(base);
	const socket = connect(Number(url.port), url.hostname);
	socket.on("error", () => {});
	const started = performance.now();
	const cpuStarted = cpuMs();
	let text = "";
	return new Promise((resolve) => {
		const done = () => {
			const split = text.indexOf("\r\n\r\n");
			if (split === -1) return false;
			const head = text.slice(0, split);
			const rest = text.slice(split + 4);
			const status = Number(head.split(" ")[1]);
			const length = /content-length: (\d+)/i.exec(head)?.[1];
			let body: string;
			if (length !== undefined) {
				if (rest.length < Number(length)) return false;
				body = rest.slice(0, Number(length));
			} else {
				// A streamed answer (chunked): its chunks joined.
				if (!rest.endsWith("0\r\n\r\n")) return false;
				body = rest.replace(/(?:^|\r\n)[0-9a-f]+\r\n(?:\r\n$)?/g, "");
			}
			const ms = Math.min(performance.now() - started, cpuMs() - cpuStarted);
			resolve({ status, body, ms });
			socket.destroy();
			return true;
		};
		socket.on("data", (data) => {
			text += data.toString("latin1");
			done();
		});
		socket.write(
			`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
		);
		socket.write(body);
	});
}

describe("chunked request bodies", () => {
	it("an action's body in 200,000 one-byte chunks is refused with request/body_fragmented, quickly", async () => {
		await using t = await setupTest(registry);
		const body = chunked(JSON.stringify({ args: ["x".repeat(200_000)] }), 1);
		const answer = await postChunked(t.url, actionPath, body);
		expect(answer.status).toBe(400);
		expect(JSON.parse(answer.body)).toMatchObject({ group: "request", code: "body_fragmented" });
		// Refused after about 4,100 chunks, not after parsing all of them (1.1 s before).
		expect(answer.ms).toBeLessThan(800);
		expect(await t.client.box.getOrCreate("a").inc()).toBe(1);
	});

	it("a raw onRequest body in 200,000 one-byte chunks errors the handler's read", async () => {
		await using t = await setupTest(registry);
		const answer = await postChunked(t.url, rawPath, chunked("y".repeat(200_000), 1));
		expect(answer.status).toBe(400);
		expect(JSON.parse(answer.body)).toEqual({ failed: "body_fragmented" });
		expect(answer.ms).toBeLessThan(800);
	});

	it("bodies in ordinary chunks pass whole: 4,000 chunks of 10 bytes, 20,000 of 300 bytes (6 MB)", async () => {
		await using t = await setupTest(registry);
		const small = await postChunked(
			t.url,
			actionPath,
			chunked(JSON.stringify({ args: ["s".repeat(39_980)] }), 10),
		);
		expect(small).toMatchObject({ status: 200, body: '{"output":39980}' });
		const text = patterned(6_000_000);
		const large = await postChunked(
			t.url,
			"/gateway/box/action/digest?rvt-method=getOrCreate&rvt-key=a",
			chunked(JSON.stringify({ args: [text] }), 300),
		);
		expect(large).toMatchObject({ status: 200, body: JSON.stringify({ output: sha1(text) }) });
		const raw = await postChunked(t.url, rawPath, chunked(text, 300));
		expect(raw).toMatchObject({ status: 200, body: '{"got":6000000}' });
	});

	it("rows streamed as chunks of 50 bytes pass: 20,000 of them (1 MB) in one upload", async () => {
		await using t = await setupTest(registry);
		const rows = Array.from(
			{ length: 20_000 },
			(_, i) => `{"row":${String(i).padStart(41, "0")}}\n`,
		);
		expect(rows[0]?.length).toBe(50);
		const answer = await postChunked(t.url, rawPath, chunked(rows.join(""), 50));
		expect(answer).toMatchObject({ status: 200, body: '{"got":1000000}' });
	});

	it("a body with a content-length has no chunk budget: 8,000 writes of 50 bytes, one per turn", async () => {
		await using t = await setupTest(registry);
		const url = new URL(t.url);
		const socket = connect(Number(url.port), url.hostname);
		socket.setNoDelay(true);
		let text = "";
		socket.on("data", (data) => {
			text += data.toString("latin1");
		});
		socket.write(
			`POST ${rawPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 400000\r\nConnection: close\r\n\r\n`,
		);
		for (let i = 0; i < 8_000; i++) {
			socket.write("r".repeat(50));
			await new Promise((resolve) => setImmediate(resolve));
		}
		await new Promise((resolve) => socket.on("close", resolve));
		expect(text).toMatch(/^HTTP\/1\.1 200 /);
		expect(text).toContain('{"got":400000}');
	});

	it("through a fetch handler, a body of 100,000 one-byte chunks is read whole and in order", async () => {
		const text = patterned(100_000);
		const bytes = new TextEncoder().encode(JSON.stringify({ args: [text] }));
		let at = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (at === bytes.length) controller.close();
				else controller.enqueue(bytes.subarray(at, ++at));
			},
		});
		const response = await registry.handler(
			new Request("http://localhost/gateway/box/action/digest?rvt-method=getOrCreate&rvt-key=a", {
				method: "POST",
				headers: { "content-type": "application/json" },
				body,
				duplex: "half",
			} as RequestInit),
		);
		expect(await response.json()).toEqual({ output: sha1(text) });
		await registry.stop();
	});
});
