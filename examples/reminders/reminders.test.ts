import { memoryDriver, setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { reminders } from "./reminders.js";

const registry = setup({ use: { reminders }, logLevel: "silent" });

const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

describe("reminders example", () => {
	it("delivers a reminder when it is due, to open connections", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.reminders.getOrCreate("ada", as("ada"));
		const conn = ada.connect();
		const due: string[] = [];
		conn.on("due", (reminder) => due.push(reminder.text));
		await conn.remind("stand up", 60_000);
		await conn.remind("drink water", 30_000);
		expect((await ada.pending()).map((r) => r.text).sort()).toEqual(["drink water", "stand up"]);
		await t.clock.advance(30_000);
		await expect.poll(() => due).toEqual(["drink water"]);
		await t.clock.advance(30_000);
		await expect.poll(() => due).toEqual(["drink water", "stand up"]);
		expect(await ada.pending()).toEqual([]);
		await conn.dispose();
	});

	it("cancels reminders and keeps them across sleep and restart", async () => {
		await using t = await setupTest(registry, { storage: memoryDriver() });
		const bob = t.client.reminders.getOrCreate("bob", as("bob"));
		const keep = await bob.remind("keep", 120_000);
		const drop = await bob.remind("drop", 60_000);
		expect(await bob.cancel(drop.id)).toBe(true);
		await t.clock.advance(40_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.restart();
		await t.clock.advance(120_000);
		await expect
			.poll(async () =>
				(await t.client.reminders.getOrCreate("bob", as("bob")).delivered()).map((r) => r.id),
			)
			.toEqual([keep.id]);
	});

	it("rejects bad reminders", async () => {
		await using t = await setupTest(registry);
		const eve = t.client.reminders.getOrCreate("eve", as("eve"));
		await expect(eve.remind(" ", 10)).rejects.toMatchObject({ code: "invalid_args" });
		await expect(eve.remind("x", -5)).rejects.toMatchObject({ code: "invalid_args" });
		await expect(
			(eve as unknown as { remind(...args: unknown[]): Promise<unknown> }).remind("x", "soon"),
		).rejects.toMatchObject({ code: "invalid_args" });
	});

	it("belongs to its user: nobody else may create, read or deliver", async () => {
		await using t = await setupTest(registry);
		const ada = t.client.reminders.getOrCreate("ada", as("ada"));
		const reminder = await ada.remind("secret", 60_000);
		for (const handle of [
			t.client.reminders.getOrCreate("ada", as("mallory")),
			t.client.reminders.getOrCreate("ada"),
		]) {
			await expect(handle.pending()).rejects.toMatchObject({ group: "user" });
		}
		await expect(
			t.client.reminders.getOrCreate("bob", as("mallory")).pending(),
		).rejects.toMatchObject({ code: "forbidden" });
		// The owner cannot fire a timer's action either.
		await expect(ada.deliver(reminder.id)).rejects.toMatchObject({ code: "forbidden" });
		expect(await ada.pending()).toHaveLength(1);
	});
});
