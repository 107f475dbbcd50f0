import { setTimeout as sleep } from "node:timers/promises";
import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { board, MAX_CHANGES_PER_SECOND, MAX_NOTES_PER_AUTHOR, MODERATOR } from "./board.js";

const registry = setup({ use: { board }, logLevel: "silent" });
const as = (userId: string, roles: string[] = []) => ({
	params: { token: issueToken({ userId, roles }) },
});

describe("multiplayer board example", () => {
	// A review (2026-11-26) stored boards with no token at all through `POST /actors`:
	// only the connect hooks checked one, and a creation opens no connection.
	it("stores a board only for a signed-in user (anonymous creation is refused)", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.board.create(["spam"])).rejects.toMatchObject({
			code: "unauthorized",
		});
		await expect(
			t.client.board.create(["spam"], { params: { token: "forged.token" } }),
		).rejects.toMatchObject({ code: "unauthorized" });
		await expect(t.client.board.get(["spam"]).resolve()).rejects.toMatchObject({
			code: "not_found",
		});
		const team = await t.client.board.create(["team"], as("ann"));
		const conn = team.connect(as("ann").params);
		expect(await conn.addNote("hello", 10, 20)).toBe(1);
		await conn.dispose();
	});

	it("lets one author fill only a share of a board, so others can still post", async () => {
		await using t = await setupTest(registry);
		const board = await t.client.board.create(["shared"], as("eve"));
		const eve = board.connect(as("eve").params);
		for (let i = 0; i < MAX_NOTES_PER_AUTHOR; i++) {
			// Within the rate of changes (a second's worth at a time).
			if (i > 0 && i % MAX_CHANGES_PER_SECOND.perUser === 0) await sleep(1_010);
			await eve.addNote(`spam ${i}`, 0, 0);
		}
		await expect(eve.addNote("one more", 0, 0)).rejects.toMatchObject({
			code: "too_many_notes",
		});
		const ann = board.connect(as("ann").params);
		expect(await ann.addNote("still room", 5, 5)).toBe(MAX_NOTES_PER_AUTHOR + 1);
		// A note with nothing to see, or a direction override, is refused (a probe, 2026-11-27).
		for (const hidden of [`\u202e${" ".repeat(279)}`, "   ", "\u200b"])
			await expect(ann.addNote(hidden, 0, 0)).rejects.toMatchObject({ code: "invalid_args" });
		await eve.dispose();
		await ann.dispose();
	});

	it("bounds how often one user moves notes, and leaves the others theirs", async () => {
		// Every move is a state write sent to every open page: one connection made 1,500
		// a second (an attacker probe, 2026-11-27).
		await using t = await setupTest(registry);
		const board = await t.client.board.create(["moves"], as("eve"));
		const eve = board.connect(as("eve").params);
		const id = await eve.addNote("drag me", 0, 0);
		const tries = await Promise.allSettled(
			Array.from({ length: MAX_CHANGES_PER_SECOND.perUser * 5 }, (_, i) => eve.moveNote(id, i, i)),
		);
		const moved = tries.filter((t) => t.status === "fulfilled").length;
		expect(moved).toBeGreaterThan(0);
		expect(moved).toBeLessThanOrEqual(MAX_CHANGES_PER_SECOND.perUser * 2);
		const refused = tries.find((t) => t.status === "rejected");
		expect(refused?.reason).toMatchObject({ code: "rate_limited" });
		const ann = board.connect(as("ann").params);
		await expect(ann.moveNote(id, 100, 100)).resolves.toBeUndefined();
		await eve.dispose();
		await ann.dispose();
	});

	// Only moves were bounded: adding and removing a note in a loop made 800 state writes a
	// second, each sent to every open page (an attacker probe, 2026-11-28).
	it("bounds how often one user adds and removes notes too", async () => {
		await using t = await setupTest(registry);
		const board = await t.client.board.create(["churn"], as("eve"));
		const eve = board.connect(as("eve").params);
		const tries = await Promise.allSettled(
			Array.from({ length: MAX_CHANGES_PER_SECOND.perUser * 3 }, async (_, i) => {
				const id = await eve.addNote(`spam ${i}`, 1, 1);
				await eve.removeNote(id);
			}),
		);
		const refused = tries.filter((t) => t.status === "rejected");
		expect(refused.length).toBeGreaterThan(MAX_CHANGES_PER_SECOND.perUser);
		expect(refused[0]).toMatchObject({ reason: { code: "rate_limited" } });
		// Another user still may.
		const ann = board.connect(as("ann").params);
		await expect(ann.addNote("hello", 5, 5)).resolves.toBeTypeOf("number");
		await eve.dispose();
		await ann.dispose();
	});

	it("lets a moderator remove anyone's note and clear the board; others only their own", async () => {
		// With authors alone removing notes, ten guest accounts filled a board for good
		// (an attacker probe, 2026-11-27).
		await using t = await setupTest(registry);
		const board = await t.client.board.create(["moderated"], as("eve"));
		const eve = board.connect(as("eve").params);
		const spam = await eve.addNote("spam", 0, 0);
		await eve.addNote("more spam", 0, 0);
		const ann = board.connect(as("ann").params);
		const cleared: string[] = [];
		ann.on("cleared", (by) => cleared.push(by));
		await expect(ann.removeNote(spam)).rejects.toMatchObject({ code: "forbidden" });
		await expect(ann.clear()).rejects.toMatchObject({ code: "forbidden" });
		const mod = board.connect(as("mo", [MODERATOR]).params);
		expect(await mod.removeNote(spam)).toBe(true);
		await mod.clear();
		await expect.poll(() => cleared).toEqual(["mo"]);
		expect(await ann.addNote("fresh start", 1, 1)).toBeGreaterThan(spam);
		for (const conn of [eve, ann, mod]) await conn.dispose();
	});
});
