// `conn.send` sends a queue message as the handle's `send` does, with the
// connection's params, as RivetKit's `conn.send` does: before 2026-11-28 a
// Tenon connection had no `send` (the types refused it, and untyped it went
// out as an action named "send": actor/action_not_found; a walkthrough).
import { describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { ActorError, actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const referee = actor({
	state: { moves: [] as string[] },
	createConnState: (_c, params: { player?: string } | undefined) => ({
		player: params?.player ?? "nobody",
	}),
	queues: {
		// Who sends comes from the connection's state, set from its params by the hook.
		moves: queue<{ move: string }, { accepted: boolean }>({
			canPublish: (c) => c.conn.state.player !== "nobody",
		}),
	},
	run: async (c) => {
		for await (const message of c.queue.iter({ names: ["moves"], completable: true })) {
			c.state.moves.push(message.body.move);
			await message.complete({ accepted: true });
		}
	},
	actions: { moves: (c) => c.state.moves },
});

const registry = setup({ use: { referee }, logLevel: "silent" });

describe("conn.send", () => {
	it("sends with the connection's params, waits for completion when asked, and is typed", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url });
		const handle = client.referee.getOrCreate("match");
		const conn = handle.connect({ player: "ann" });
		const stored = await conn.send("moves", { move: "e4" });
		expectTypeOf(stored).toEqualTypeOf<void>();
		expect(stored).toBeUndefined();
		const answer = await conn.send("moves", { move: "d4" }, { wait: true, timeout: 5_000 });
		expectTypeOf(answer.response).toEqualTypeOf<{ accepted: boolean } | undefined>();
		expect(answer).toEqual({ status: "completed", response: { accepted: true } });
		await expect.poll(() => conn.moves()).toEqual(["e4", "d4"]);
		// @ts-expect-error: no such queue
		await expect(conn.send("chat", { move: "x" })).rejects.toMatchObject({ code: "not_found" });
		// The handle's own params (none here) are not the connection's: refused.
		await expect(handle.send("moves", { move: "c4" })).rejects.toBeInstanceOf(ActorError);
		await conn.dispose();
		await expect(conn.send("moves", { move: "f4" })).rejects.toMatchObject({ code: "disposed" });
		await client.dispose();
	});

	it("aborts with its signal", async () => {
		await using t = await setupTest(registry);
		const client = createClient<typeof registry>({ endpoint: t.url });
		const conn = client.referee.getOrCreate("aborted").connect({ player: "bob" });
		const aborted = new AbortController();
		aborted.abort(new Error("not now"));
		await expect(
			conn.send("moves", { move: "e4" }, { wait: true, signal: aborted.signal }),
		).rejects.toThrow("not now");
		await client.dispose();
	});
});
