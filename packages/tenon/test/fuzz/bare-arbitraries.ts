// RivetKit's BARE messages for the fuzzers: well-formed ones carrying
// hostile CBOR values, under any version, mangled, or raw bytes.
import fc from "fast-check";
import {
	writeHttpActionRequest,
	writeHttpQueueSendRequest,
	writeToServer,
} from "../../src/protocol/bare-codec.js";
import { actionNames, cborBytes, type FuzzRequest } from "./arbitraries.js";

/** Re-labels a BARE message with another version (the u16 LE prefix). */
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
	const copy = bytes.slice();
	copy[0] = version & 0xff;
	copy[1] = version >> 8;
	return copy;
}

/**
 * RivetKit BARE messages (client protocol): well-formed ones carrying hostile
 * CBOR values, under any version (0-6: known, newer, nonsense), truncated,
 * padded, with a byte changed, or raw bytes.
 */
export const bareMessage = (kind: "frame" | "action" | "queue"): fc.Arbitrary<Uint8Array> => {
	const wellFormed = fc
		.tuple(cborBytes, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), actionNames, fc.boolean())
		.map(([value, id, name, flag]) => {
			if (kind === "action") return writeHttpActionRequest(value);
			if (kind === "queue")
				return writeHttpQueueSendRequest({
					body: value,
					name: flag ? name : undefined,
					wait: flag,
					timeout: flag ? 50n : undefined,
				});
			return flag
				? writeToServer({ tag: "ActionRequest", id, name, args: value })
				: writeToServer({ tag: "SubscriptionRequest", eventName: name, subscribe: flag });
		});
	return fc.oneof(
		{ weight: 4, arbitrary: wellFormed },
		{
			weight: 2,
			arbitrary: fc
				.tuple(wellFormed, fc.constantFrom(0, 1, 2, 3, 5, 6, 0xffff))
				.map(([bytes, version]) => withVersion(bytes, version)),
		},
		{
			weight: 2,
			arbitrary: fc
				.tuple(wellFormed, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
				.map(([bytes, at, byte, cut]) => {
					if (cut) return bytes.slice(0, at % (bytes.length + 1));
					const changed = bytes.slice();
					changed[at % changed.length] = byte;
					return changed;
				}),
		},
		{
			weight: 1,
			arbitrary: fc
				.tuple(wellFormed, fc.uint8Array({ minLength: 1, maxLength: 16 }))
				.map(([bytes, extra]) => new Uint8Array([...bytes, ...extra])),
		},
		{
			weight: 1,
			arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => new Uint8Array([4, 0, ...bytes])),
		},
	);
};

/** BARE bodies, well-formed or not, on the action and queue routes. */
export const bareCall: fc.Arbitrary<FuzzRequest> = fc
	.tuple(fc.boolean(), fc.constantFrom("inc", "put", "echo", "get"), fc.constantFrom("f1", "f2"))
	.chain(([isQueue, action, key]) =>
		bareMessage(isQueue ? "queue" : "action").map((body) => ({
			method: "POST",
			path: `/gateway/target${isQueue ? "/queue/q" : `/action/${action}`}?rvt-method=getOrCreate&rvt-key=${key}`,
			headers: { "content-type": "application/octet-stream", "x-rivet-encoding": "bare" },
			body,
		})),
	);
