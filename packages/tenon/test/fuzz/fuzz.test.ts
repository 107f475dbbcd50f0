// A short, seeded slice of `npm run fuzz` (which runs 1,000,000 inputs): the
// decoders and a real server over HTTP and WebSocket, with fixed seeds so a
// failure replays. Any crash, hang, pollution, unstable error or changed
// data fails the test and lists the inputs that caused it.
import { describe, expect, it } from "vitest";
import { fuzzDecoders } from "./decoder-fuzz.js";
import { FuzzStats } from "./oracle.js";
import { fuzzHttp, fuzzWebSocket, startFuzzServer } from "./server-fuzz.js";

describe("fuzzing (seeded slice)", () => {
	it("the JSON, CBOR, input and frame decoders: 8,000 inputs", () => {
		const stats = fuzzDecoders(8_000, 1_122);
		expect(stats.findings).toEqual([]);
		expect(stats.inputs).toBe(8_000);
	});

	it("a real server over HTTP and WebSocket: 1,500 requests and 800 frames", async () => {
		const server = await startFuzzServer();
		const all = new FuzzStats();
		const [http, ws] = await Promise.all([
			fuzzHttp(server.url, 1_500, 2_211),
			fuzzWebSocket(server.url, 800, 3_311),
		]);
		all.merge(http);
		all.merge(ws);
		const { dataIntact } = await server.finish(all);
		expect(all.findings).toEqual([]);
		expect(dataIntact).toBe(true);
		expect(all.inputs).toBeGreaterThanOrEqual(2_300);
		// The mix reaches the actors, not only the routing.
		expect(all.outcomes.get("200") ?? 0).toBeGreaterThan(200);
	}, 60_000);
});
