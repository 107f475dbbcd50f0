// Regression (a review, 2026-11-28): a busy node's eviction of a read of the
// same address as the new body left that address's slot count one too high,
// for good (BodyReader#take counted from before the eviction): after a few,
// the address was refused 429 on an idle node.
import { expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import { BodyReader } from "../../src/server/http-util.js";

const limits = {
	...DEFAULT_LIMITS,
	maxConcurrentRequestBodies: 2,
	maxConcurrentRequestBodiesPerAddress: 2,
	minRequestBodyBytesPerSecond: 1,
	requestBodyGraceMs: 60_000,
};

function slowRequest() {
	let controller!: ReadableStreamDefaultController<Uint8Array>;
	const body = new ReadableStream<Uint8Array>({
		start(c) {
			controller = c;
		},
	});
	const request = new Request("http://x/", { method: "POST", body, duplex: "half" } as RequestInit);
	return {
		request,
		finish: () => {
			try {
				controller.enqueue(new Uint8Array([49]));
				controller.close();
			} catch {}
		},
	};
}

it("an eviction of an address's own read leaves its slot count right", async () => {
	const reader = new BodyReader(limits);
	const a1 = slowRequest();
	const b1 = slowRequest();
	const r1 = reader.read(a1.request, "10.0.0.1").catch((e) => e);
	const r2 = reader.read(b1.request, "10.0.0.2").catch((e) => e);
	await new Promise((r) => setTimeout(r, 1_200));
	// Node full: A's second body evicts the slowest read (A's own first one).
	const a2 = slowRequest();
	const r3 = reader.read(a2.request, "10.0.0.1");
	expect(String((await r1)?.message)).toContain("busy");
	a2.finish();
	await r3;
	b1.finish();
	await r2;
	// Nothing is being read now: two bodies of other addresses at once pass (the node count is right)...
	const c = slowRequest();
	const d = slowRequest();
	const rc = reader.read(c.request, "10.0.0.3");
	const rd = reader.read(d.request, "10.0.0.4");
	c.finish();
	d.finish();
	await rc;
	await rd;
	// ...but A, with nothing in flight, gets only one of its two slots.
	const x = slowRequest();
	const y = slowRequest();
	const rx = reader.read(x.request, "10.0.0.1");
	const ry = reader.read(y.request, "10.0.0.1").then(
		() => "ok",
		(e) => `refused: ${e.message}`,
	);
	x.finish();
	y.finish();
	await rx;
	expect(await ry).toBe("ok");
});
