// Regression (an attacker probe, 2026-11-27): `tenon start --postgres` with a registry that tsx
// compiles as CommonJS runs two copies of Tenon: the CLI's (ES modules), which built the
// PostgreSQL driver, and the registry's. The driver's OwnedElsewhereError was not an
// `instanceof` of the registry's class, so every first call through a node that did not own
// the actor failed with 500 core/internal_error instead of being forwarded; the same held for
// its ActorErrors. Both classes now recognise another copy's errors.
import { describe, expect, it } from "vitest";
import { ActorError, toErrorPayload, UserError } from "../../src/protocol/errors.js";
import { OwnedElsewhereError } from "../../src/storage/interfaces.js";

/** A second instance of a module, as another copy of Tenon would load it. */
async function secondCopy<T>(path: string): Promise<T> {
	return (await import(/* @vite-ignore */ `${path}?second-copy`)) as T;
}

describe("errors from another copy of Tenon in the process", () => {
	it("are instances of this copy's OwnedElsewhereError and ActorError", async () => {
		const storage = await secondCopy<typeof import("../../src/storage/interfaces.js")>(
			"../../src/storage/interfaces.js",
		);
		const protocol = await secondCopy<typeof import("../../src/protocol/errors.js")>(
			"../../src/protocol/errors.js",
		);
		expect(storage.OwnedElsewhereError).not.toBe(OwnedElsewhereError);
		expect(protocol.ActorError).not.toBe(ActorError);
		const moved = new storage.OwnedElsewhereError("a1", { nodeId: "n2", address: "http://x" });
		expect(moved instanceof OwnedElsewhereError).toBe(true);
		expect(new Error("x") instanceof OwnedElsewhereError).toBe(false);
		const foreign = new protocol.ActorError("actor", "unavailable", "try again");
		expect(foreign instanceof ActorError).toBe(true);
		expect(toErrorPayload(foreign, false)).toMatchObject({ group: "actor", code: "unavailable" });
		// A subclass keeps the plain check: another copy's ActorError is no UserError.
		expect(foreign instanceof UserError).toBe(false);
		expect(new UserError("no") instanceof ActorError).toBe(true);
		expect(new Error("x") instanceof ActorError).toBe(false);
		// The brand is on the prototype: a plain copy of an error is none (a review).
		expect({ ...foreign } instanceof ActorError).toBe(false);
		expect(Object.keys(foreign)).not.toContain("tenon.ActorError");
		expect((null as unknown as object) instanceof ActorError).toBe(false);
	});
});
