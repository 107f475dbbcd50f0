// A raw handler's request body streams to `onRequest` within the server's
// body limit (an attacker probe, 2026-11-24: a 200 MB upload reached it whole).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawRequest } from "../helpers/raw-http.js";

const LIMIT = 1024;

const upload = actor({
	state: {},
	onRequest: async (_c, request) => {
		try {
			return new Response(`read ${(await request.arrayBuffer()).byteLength}`);
		} catch (error) {
			return new Response(`refused: ${(error as { code?: string }).code}`, { status: 413 });
		}
	},
});

const registry = setup({
	use: { upload },
	logLevel: "silent",
	limits: { maxHttpBodyBytes: LIMIT },
});

it("refuses a raw body over maxHttpBodyBytes, declared or streamed, and reads one within it", async () => {
	await using t = await setupTest(registry);
	const id = await t.client.upload.getOrCreate("u").resolve();
	const url = new URL(t.url);
	const post = (body: string, framing: "content-length" | "chunked") =>
		rawRequest(
			t.url,
			{ method: "POST", path: `/gateway/${id}/request/put`, headers: [["host", url.host]] },
			{ chunks: [body.slice(0, 600), body.slice(600)], framing },
		);
	const declared = await post("x".repeat(LIMIT + 1), "content-length");
	if (declared === "closed") throw new Error("closed without an answer");
	expect(declared.status).toBe(400);
	expect(Buffer.from(declared.body).toString()).toContain("incoming_too_long");
	const streamed = await post("x".repeat(LIMIT + 1), "chunked");
	if (streamed === "closed") throw new Error("closed without an answer");
	expect(Buffer.from(streamed.body).toString()).toBe("refused: incoming_too_long");
	const fine = await post("x".repeat(LIMIT), "chunked");
	if (fine === "closed") throw new Error("closed without an answer");
	expect(Buffer.from(fine.body).toString()).toBe(`read ${LIMIT}`);
});
