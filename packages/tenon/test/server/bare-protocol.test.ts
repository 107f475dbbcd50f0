// RivetKit's BARE encoding at the byte level: version negotiation (versions
// 1-4 read, anything else a clear `request/unsupported_version`), exact
// message lengths, and hostile frames answered without harm.
import { Encoder } from "cbor-x";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { actor, setup } from "../../src/index.js";
import {
	readHttpActionResponse,
	readHttpQueueSendResponse,
	readHttpResponseError,
	readToClient,
	writeHttpActionRequest,
	writeHttpQueueSendRequest,
	writeToServer,
} from "../../src/protocol/bare-codec.js";
import { setupTest, type TestContext } from "../../src/test/index.js";

const counter = actor({
	state: { n: 0 },
	actions: {
		add: (c, by: number) => {
			c.state.n += by;
			return c.state.n;
		},
		blob: (_c, size: number) => new Uint8Array(size).fill(7),
	},
});
const registry = setup({ use: { counter } });
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** A message of `version`: the u16 LE prefix, then `payload`. */
function versioned(version: number, payload: Uint8Array): Uint8Array {
	return new Uint8Array([version & 0xff, version >> 8, ...payload]);
}

async function post(t: TestContext<typeof registry>, path: string, body: Uint8Array) {
	const id = await t.client.counter.getOrCreate("bare").resolve();
	const response = await fetch(`${t.url}/gateway/${id}${path}`, {
		method: "POST",
		headers: { "x-rivet-encoding": "bare", "content-type": "application/octet-stream" },
		body: body as BodyInit,
	});
	return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe("BARE over HTTP", () => {
	it("reads action requests of every version from 1 to 4 and answers in version 4", async () => {
		await using t = await setupTest(registry);
		const args = cbor.encode([1]);
		for (const version of [1, 2, 3, 4]) {
			const payload = writeHttpActionRequest(args).subarray(2);
			const { status, bytes } = await post(t, "/action/add", versioned(version, payload));
			expect(status).toBe(200);
			expect([bytes[0], bytes[1]]).toEqual([4, 0]);
			expect(cbor.decode(readHttpActionResponse(bytes).output)).toBe(version);
		}
	});

	it("answers a reply of exactly its own bytes (no stale buffer memory after it)", async () => {
		// Regression: a CBOR output that was a view into cbor-x's shared
		// buffer was written whole: 8 KiB of earlier messages went out.
		await using t = await setupTest(registry);
		const { bytes } = await post(t, "/action/add", writeHttpActionRequest(cbor.encode([5])));
		expect(Buffer.from(bytes).toString("hex")).toBe("04000105");
		const big = await post(t, "/action/blob", writeHttpActionRequest(cbor.encode([3000])));
		const output = readHttpActionResponse(big.bytes).output;
		expect(cbor.decode(output)).toEqual(new Uint8Array(3000).fill(7));
	});

	it("refuses newer and unknown versions with request/unsupported_version, in a body it can read", async () => {
		await using t = await setupTest(registry);
		const payload = writeHttpActionRequest(cbor.encode([1])).subarray(2);
		for (const version of [0, 5, 0xffff]) {
			const { status, bytes } = await post(t, "/action/add", versioned(version, payload));
			expect(status).toBe(400);
			const error = readHttpResponseError(bytes);
			expect(error).toMatchObject({ group: "request", code: "unsupported_version" });
			expect(error.message).toContain(String(version));
		}
		// Queue sends exist since version 3.
		const send = writeHttpQueueSendRequest({
			body: cbor.encode(1),
			name: undefined,
			wait: undefined,
			timeout: undefined,
		}).subarray(2);
		const old = await post(t, "/queue/jobs", versioned(2, send));
		expect(old.status).toBe(400);
		const refused = readHttpResponseError(old.bytes);
		expect(refused.code).toBe("unsupported_version");
		// Its own range (it said "versions 1 to 4, not 2" before 2026-11-27).
		expect(refused.message).toContain("versions 3 to 4, not 2");
		expect(await t.client.counter.getOrCreate("bare").add(0)).toBe(0);
	});

	it("answers truncated, padded and garbage bodies with request/malformed", async () => {
		await using t = await setupTest(registry);
		const good = writeHttpActionRequest(cbor.encode([1]));
		for (const body of [
			good.subarray(0, good.length - 1),
			new Uint8Array([...good, 0]),
			new Uint8Array([4, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
			new Uint8Array([4]),
		]) {
			const { status, bytes } = await post(t, "/action/add", body);
			expect(status).toBe(400);
			expect(readHttpResponseError(bytes).code).toBe("malformed");
		}
		const queued = await post(
			t,
			"/queue/jobs",
			writeHttpQueueSendRequest({
				body: cbor.encode({ n: 1 }),
				name: undefined,
				wait: false,
				timeout: undefined,
			}),
		);
		// `counter` declares no queues: an answer in BARE, not a crash.
		expect(queued.status).toBeGreaterThanOrEqual(400);
		expect(readHttpResponseError(queued.bytes).group).toBeTypeOf("string");
		expect(() => readHttpQueueSendResponse(queued.bytes)).toThrow();
	});
});

describe("BARE over WebSocket", () => {
	async function open(t: TestContext<typeof registry>) {
		const url = `${t.url.replace("http", "ws")}/gateway/counter/connect?rvt-method=getOrCreate&rvt-key=ws`;
		const ws = new WebSocket(url, ["rivet", "rivet_encoding.bare"]);
		ws.binaryType = "nodebuffer";
		const messages: ReturnType<typeof readToClient>[] = [];
		ws.on("message", (data: Buffer) => messages.push(readToClient(new Uint8Array(data))));
		await new Promise<void>((resolve, reject) => {
			ws.once("open", () => resolve());
			ws.once("error", reject);
		});
		await expect.poll(() => messages.length).toBe(1);
		expect(messages[0]?.tag).toBe("Init");
		return { ws, messages };
	}

	it("answers unsupported versions and garbage with errors, and keeps serving", async () => {
		await using t = await setupTest(registry);
		const { ws, messages } = await open(t);
		const request = writeToServer({
			tag: "ActionRequest",
			id: 1n,
			name: "add",
			args: cbor.encode([2]),
		});
		ws.send(versioned(5, request.subarray(2)));
		ws.send(new Uint8Array([4, 0, 9]));
		ws.send(new Uint8Array([4]));
		ws.send(versioned(2, request.subarray(2)));
		await expect.poll(() => messages.length).toBe(5);
		const answers = messages
			.slice(1)
			.map((m) => (m.tag === "Error" ? m.code : m.tag === "ActionResponse" ? m.id : m.tag));
		expect(answers).toEqual(["unsupported_version", "malformed", "malformed", 1n]);
		const response = messages[4];
		expect(response?.tag === "ActionResponse" && cbor.decode(response.output)).toBe(2);
		ws.close();
	});
});
