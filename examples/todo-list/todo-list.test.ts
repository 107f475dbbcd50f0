import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { issueToken } from "../auth/tokens.js";
import { MAX_TODOS, todoList } from "./todo-list.js";

const as = (userId: string) => ({ params: { token: issueToken({ userId, roles: [] }) } });

const registry = setup({ use: { todoList }, logLevel: "silent" });

describe("todo list example (raw SQL)", () => {
	it("keeps one list per user, durable across restarts", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.todoList.getOrCreate("ann", as("ann"));
		const bo = t.client.todoList.getOrCreate("bo", as("bo"));
		const milk = await ann.add("buy milk");
		await ann.add("write docs");
		await bo.add("call mom");
		expect(await ann.toggle(milk.id)).toMatchObject({ title: "buy milk", done: true });
		await t.restart();
		expect((await ann.list()).map((todo) => [todo.title, todo.done])).toEqual([
			["buy milk", true],
			["write docs", false],
		]);
		expect(await ann.list("open")).toHaveLength(1);
		expect(await bo.stats()).toEqual({ total: 1, done: 0 });
		expect(await ann.completeAll()).toBe(1);
		expect(await ann.stats()).toEqual({ total: 2, done: 2 });
		expect(await ann.remove(milk.id)).toBe(true);
		expect(await ann.remove(milk.id)).toBe(false);
	});

	it("rejects bad input with stable errors and keeps the list intact", async () => {
		await using t = await setupTest(registry);
		const list = t.client.todoList.getOrCreate("cy", as("cy"));
		await list.add("real");
		await expect(list.add("")).rejects.toMatchObject({ code: "bad_title" });
		await expect(list.add("x".repeat(201))).rejects.toMatchObject({ code: "bad_title" });
		await expect(list.add("\u200b")).rejects.toMatchObject({ code: "bad_title" });
		await expect(list.add("t\u0000")).rejects.toMatchObject({ code: "invalid_args" });
		await expect(list.toggle(999)).rejects.toMatchObject({ code: "not_found" });
		await expect(
			(list as unknown as { toggle(id: unknown): Promise<unknown> }).toggle("1 OR 1=1"),
		).rejects.toMatchObject({ code: "invalid_args" });
		expect(await list.stats()).toEqual({ total: 1, done: 0 });
	});

	it("belongs to its user", async () => {
		await using t = await setupTest(registry);
		await t.client.todoList.getOrCreate("ann", as("ann")).add("private");
		await expect(t.client.todoList.getOrCreate("ann", as("bo")).list()).rejects.toMatchObject({
			code: "forbidden",
		});
		await expect(t.client.todoList.getOrCreate("ann").list()).rejects.toMatchObject({
			code: "unauthorized",
		});
		await expect(t.client.todoList.getOrCreate("new", as("bo")).add("x")).rejects.toMatchObject({
			code: "forbidden",
		});
	});

	// A review (2026-11-26) added 1,200 todos to one list: nothing bounded a user's list.
	it("caps a list at MAX_TODOS todos, and a removed one makes room again", async () => {
		await using t = await setupTest(registry);
		const list = t.client.todoList.getOrCreate("dee", as("dee"));
		const conn = list.connect(as("dee").params);
		for (let i = 0; i < MAX_TODOS; i++) await conn.add(`todo ${i}`);
		await expect(conn.add("one too many")).rejects.toMatchObject({ code: "list_full" });
		// Adds at once cannot squeeze past the cap either.
		expect(await conn.remove(1)).toBe(true);
		const racing = await Promise.allSettled([conn.add("a"), conn.add("b"), conn.add("c")]);
		expect(racing.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
		expect((await list.stats()).total).toBe(MAX_TODOS);
		await conn.dispose();
	});
});
