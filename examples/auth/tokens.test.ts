import { describe, expect, it } from "vitest";
import { checkResuming, issueToken, signingSecret, verifyToken } from "./tokens.js";

describe("example tokens", () => {
	it("refuses an empty or short signing secret (anyone could sign tokens with it)", () => {
		for (const secret of ["", "short"])
			expect(() => signingSecret(secret)).toThrow(/at least 16 characters/);
		expect(signingSecret("a-secret-of-enough-length")).toBe("a-secret-of-enough-length");
		expect(signingSecret(undefined)).toHaveLength(43);
		// A token signed with an empty key is refused by a server with a real secret.
		const forged = issueToken({ userId: "boss", roles: ["approver"] }, 60_000, "");
		expect(() => verifyToken(forged)).toThrow();
	});

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

	it("lets a connection made with roles be resumed only by a user who still has them", () => {
		const made = { state: { userId: "boss", roles: ["approver"] } };
		const demoted = verifyToken(issueToken({ userId: "boss", roles: [] }));
		const still = verifyToken(issueToken({ userId: "boss", roles: ["approver", "admin"] }));
		expect(() => checkResuming(made, demoted)).toThrow(
			expect.objectContaining({ code: "forbidden" }),
		);
		expect(() => checkResuming(made, still)).not.toThrow();
	});
});
