// A CBOR body sent as `content-type: application/cbor` without RivetKit's
// `x-rivet-encoding` header was read as JSON and refused as malformed (a
// walkthrough, 2026-11-28). The content type now says the encoding when the
// header does not; the header, when sent, still decides.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { plainCbor, rawRequest } from "../helpers/raw.js";

const echo = actor({ state: {}, actions: { twice: (_c, n: number) => n * 2 } });
const registry = setup({ use: { echo } });
const path = "/gateway/echo/action/twice?rvt-method=getOrCreate&rvt-key=k";

describe("an HTTP action's encoding", () => {
	it("is CBOR for a body sent as application/cbor, and answered in CBOR", async () => {
		await using t = await setupTest(registry);
		const answer = await rawRequest(`${t.url}${path}`, {
			method: "POST",
			headers: { "content-type": "application/cbor" },
			body: plainCbor.encode({ args: [21] }) as BodyInit,
		});
		expect(answer.status).toBe(200);
		expect(answer.headers.get("content-type")).not.toContain("json");
		expect(answer.body).toEqual({ output: 42 });
		// With a parameter on the type, too.
		const typed = await rawRequest(`${t.url}${path}`, {
			method: "POST",
			headers: { "content-type": "Application/CBOR; charset=binary" },
			body: plainCbor.encode({ args: [1] }) as BodyInit,
		});
		expect(typed.body).toEqual({ output: 2 });
	});

	it("follows x-rivet-encoding when sent, whatever the content type, and is JSON without either", async () => {
		await using t = await setupTest(registry);
		const json = await rawRequest(`${t.url}${path}`, {
			method: "POST",
			headers: { "content-type": "application/cbor", "x-rivet-encoding": "json" },
			body: JSON.stringify({ args: [5] }),
		});
		expect(json.body).toEqual({ output: 10 });
		const plain = await rawRequest(`${t.url}${path}`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ args: [4] }),
		});
		expect(plain.body).toEqual({ output: 8 });
	});

	it("keeps JSON answers for a raw request sent as application/cbor (its body is the app's own)", async () => {
		await using t = await setupTest(registry);
		const answer = await rawRequest(
			`${t.url}/gateway/echo/request/missing?rvt-method=getOrCreate&rvt-key=k`,
			{
				method: "POST",
				headers: { "content-type": "application/cbor" },
				body: new Uint8Array([1]),
			},
		);
		expect(answer.headers.get("content-type")).toContain("json");
	});
});
