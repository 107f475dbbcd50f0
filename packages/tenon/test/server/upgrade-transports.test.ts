// A WebSocket upgrade reaches the core from two transports: a Web `Request`
// (the in-process socket, other runtimes) and the Node adapter, which reads
// the IncomingMessage's head without building a Request (no header copy,
// abort signal or finalizer per connection). What connection hooks see of
// the request must not depend on which one carried it.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";
import type { ServerCore } from "../../src/server/server-core.js";
import type { WebSocketHandler } from "../../src/server/websocket.js";

const TOKEN = "client-token-for-upgrade-tests";

const watcher = actor({
	state: {},
	createConnState: (c) => {
		const request = c.request;
		if (request === undefined) return {};
		const names: string[] = [];
		request.headers.forEach((_value, name) => {
			names.push(name);
		});
		return {
			method: request.method,
			url: request.url,
			names,
			custom: request.headers.get("x-custom"),
			cookie: request.headers.get("cookie"),
			cookies: { ...request.cookies },
			token: request.token ?? null,
			internal: request.internal,
		};
	},
	actions: { whoami: (c) => c.conn.state },
});

const registry = setup({ use: { watcher }, logLevel: "silent", clientToken: TOKEN });

let server: TenonServer;
let core: ServerCore;

beforeAll(async () => {
	const created = await registry.createRuntime({ storage: memoryDriver(), bindHost: "127.0.0.1" });
	core = created.core;
	server = await registry.listen(created.runtime, core, { port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
	await server?.close();
});

const PATH = "/gateway/watcher/connect?rvt-method=getOrCreate&rvt-key=w&extra=1";
const PROTOCOLS = ["rivet", "rivet_encoding.json", `rivet_token.${TOKEN}`];
const HEADERS: [string, string][] = [
	["x-custom", "  padded value  "],
	["cookie", "session=abc%20def"],
	["cookie", "theme=dark"],
	["x-empty", ""],
];
const WHOAMI = JSON.stringify({
	body: { tag: "ActionRequest", val: { id: 1, name: "whoami", args: [] } },
});

/** The `whoami` answer's output, from the frames a socket received. */
function outputOf(frames: string[]): unknown {
	for (const frame of frames) {
		const body = JSON.parse(frame).body;
		if (body.tag === "ActionResponse") return body.val.output;
	}
	return undefined;
}

/**
 * Over a real socket, through the Node adapter: the upgrade written by hand
 * (so repeated headers go as they are), then one masked text frame out and
 * the server's text frames in.
 */
async function viaNode(): Promise<unknown> {
	const { port } = new URL(server.url);
	const socket = connect(Number(port), "127.0.0.1");
	const head = [
		`GET ${PATH} HTTP/1.1`,
		`host: 127.0.0.1:${port}`,
		"upgrade: websocket",
		"connection: Upgrade",
		"sec-websocket-version: 13",
		`sec-websocket-key: ${randomBytes(16).toString("base64")}`,
		`sec-websocket-protocol: ${PROTOCOLS.join(", ")}`,
		...HEADERS.map(([name, value]) => `${name}: ${value}`),
	];
	socket.write(`${head.join("\r\n")}\r\n\r\n`);
	let buffered = Buffer.alloc(0);
	let upgraded = false;
	const frames: string[] = [];
	return new Promise((resolve, reject) => {
		socket.once("error", reject);
		socket.on("data", (chunk: Buffer) => {
			buffered = Buffer.concat([buffered, chunk]);
			if (!upgraded) {
				const end = buffered.indexOf("\r\n\r\n");
				if (end === -1) return;
				const status = buffered.subarray(0, buffered.indexOf("\r\n")).toString();
				if (!status.includes(" 101 ")) return reject(new Error(`upgrade refused: ${status}`));
				upgraded = true;
				buffered = buffered.subarray(end + 4);
			}
			// Unmasked text frames from the server, each shorter than 64 KiB.
			while (buffered.length >= 2) {
				let length = (buffered[1] as number) & 0x7f;
				let offset = 2;
				if (length === 126) {
					if (buffered.length < 4) return;
					length = buffered.readUInt16BE(2);
					offset = 4;
				}
				if (buffered.length < offset + length) return;
				const text = buffered.subarray(offset, offset + length).toString();
				buffered = buffered.subarray(offset + length);
				frames.push(text);
				if (JSON.parse(text).body.tag === "Init") socket.write(maskedText(WHOAMI));
				const output = outputOf(frames);
				if (output !== undefined) {
					socket.destroy();
					resolve(output);
				}
			}
		});
	});
}

/** A client's text frame (masked, as clients must), shorter than 126 bytes. */
function maskedText(text: string): Buffer {
	const payload = Buffer.from(text);
	const mask = randomBytes(4);
	const masked = payload.map((byte, i) => byte ^ (mask[i % 4] as number));
	return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Through the core's upgrade hook with a Web `Request`, on a socket of our own. */
async function viaRequest(): Promise<unknown> {
	const headers = new Headers({
		upgrade: "websocket",
		connection: "Upgrade",
		"sec-websocket-protocol": PROTOCOLS.join(", "),
		"sec-websocket-version": "13",
		"sec-websocket-key": randomBytes(16).toString("base64"),
		host: new URL(server.url).host,
	});
	for (const [name, value] of HEADERS) headers.append(name, value);
	const decision = await core.upgrade(new Request(`${server.url}${PATH}`, { headers }), {
		remoteAddress: "127.0.0.1",
	});
	if (decision.kind !== "accept") throw new Error(`upgrade refused: ${decision.kind}`);
	const frames: string[] = [];
	return new Promise((resolve) => {
		let handler: WebSocketHandler | undefined;
		const receive = (data: string | Uint8Array) => {
			const text = typeof data === "string" ? data : new TextDecoder().decode(data);
			frames.push(text);
			if (JSON.parse(text).body.tag === "Init") queueMicrotask(() => handler?.onMessage(WHOAMI));
			const output = outputOf(frames);
			if (output !== undefined) {
				handler?.onClose(1000, "");
				resolve(output);
			}
		};
		handler = decision.open({ send: receive, sendShared: receive, close: () => {} });
	});
}

it("connection hooks see the same request whether a Web Request or the Node adapter carried the upgrade", async () => {
	const node = await viaNode();
	const web = await viaRequest();
	expect(web).toEqual(node);
	expect(node).toMatchObject({
		method: "GET",
		url: `${server.url}${PATH}`,
		custom: "padded value",
		cookie: "session=abc%20def; theme=dark",
		cookies: { session: "abc def", theme: "dark" },
		token: TOKEN,
		internal: false,
	});
	expect((node as { names: string[] }).names).toEqual(
		expect.arrayContaining(["x-custom", "cookie", "x-empty", "sec-websocket-protocol", "host"]),
	);
});
