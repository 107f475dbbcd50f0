import { describe, expect, it } from "vitest";
import { checkResuming, issueToken, verifyToken } from "./tokens.js";

describe("example tokens", () => {
	it("lets a connection be resumed only by the user it was made for", () => {
		const ann = verifyToken(issueToken({ userId: "ann", roles: [] }));
		const eve = verifyToken(issueToken({ userId: "eve", roles: [] }));
		// A new connection (nothing resumed), and ann resuming her own.
		expect(() => checkResuming(undefined, eve)).not.toThrow();
		expect(() => checkResuming({ state: { userId: "ann" } }, ann)).not.toThrow();
		// Eve holding ann's connection id and secret, and a state without a user.
		for (const state of [{ userId: "ann" }, null, {}])
			expect(() => checkResuming({ state }, eve)).toThrow(
				expect.objectContaining({ code: "forbidden" }),
			);
	});
});
