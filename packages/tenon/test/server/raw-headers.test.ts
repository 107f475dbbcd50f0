// The Node adapter reads a request's headers from `rawHeaders` (see
// node-incoming.ts): each lookup must answer what `Headers#get` answers for
// the same header lines, whatever their case, order and repetition.
import fc from "fast-check";
import { expect, it } from "vitest";
import { rawHeaderLookup } from "../../src/server/node-incoming.js";

const NAMES = ["authorization", "content-type", "x-rivet-encoding", "host", "cookie", "x-a"];

/** A name of {@link NAMES} in any letter case. */
const anyCase = fc
	.tuple(fc.constantFrom(...NAMES), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }))
	.map(([name, upper]) =>
		[...name].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(""),
	);

/** A value as Node's parser hands it on: no whitespace around it, sometimes a byte Fetch refuses. */
const value = fc
	.tuple(fc.string({ maxLength: 6 }), fc.constantFrom("", "", "", "\0", "\r", "\n"))
	.map(([text, refused]) => `${text.trim()}${refused === "" ? "" : `y${refused}x`}`);

it("answers as Headers#get does, for any case, order and repetition", () => {
	fc.assert(
		fc.property(fc.array(fc.tuple(anyCase, value), { maxLength: 12 }), (lines) => {
			const headers = new Headers();
			for (const [name, text] of lines) {
				try {
					headers.append(name, text);
				} catch {
					// Refused by Fetch: the lookup leaves it out too.
				}
			}
			const lookup = rawHeaderLookup(lines.flat());
			for (const name of [...NAMES, "X-A", "Content-Type", "missing"])
				expect(lookup.get(name)).toBe(headers.get(name));
		}),
		{ numRuns: 500 },
	);
});
