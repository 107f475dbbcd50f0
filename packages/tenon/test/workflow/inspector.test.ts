import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";

const flow = actor({
	state: { n: 0 },
	actions: { n: (c) => c.state.n },
	run: workflow(async (ctx) => {
		await ctx.step({
			name: "flaky",
			maxRetries: 5,
			run: (c) => {
				c.state.n++;
				if (c.state.n < 2) throw new Error("first try fails");
			},
		});
		await ctx.sleep("wait", 60_000);
	}),
});
const plain = actor({ state: {}, actions: { ping: () => "pong" } });

const TOKEN = "s3cret-inspector-token";

describe("inspector: workflow history over HTTP", () => {
	it("returns the journal with statuses, attempts and errors, behind a bearer token", async () => {
		await using t = await setupTest(setup({ use: { flow, plain }, inspector: { token: TOKEN } }));
		const handle = t.client.flow.getOrCreate("i");
		await handle.n();
		await new Promise((resolve) => setTimeout(resolve, 20));
		await t.clock.advance(100);
		await expect.poll(() => handle.n()).toBe(2);
		await t.settle();
		const id = await handle.resolve();
		const url = `${t.url}/inspector/actors/${id}/workflow`;

		const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
		expect(response.status).toBe(200);
		const body = await response.json();
		expect(body).toMatchObject({
			actorId: id,
			name: "flow",
			isWorkflowEnabled: true,
			history: {
				status: "running",
				entries: [
					{ location: "flaky", kind: "step", status: "completed", attempts: 2 },
					{ location: "wait", kind: "sleep", status: "pending", deadline: expect.any(Number) },
				],
			},
		});

		expect((await fetch(url)).status).toBe(401);
		const wrong = await fetch(url, { headers: { authorization: "Bearer nope-nope-no" } });
		expect(await wrong.json()).toMatchObject({ group: "auth", code: "forbidden" });

		const plainId = await t.client.plain.getOrCreate("p").resolve();
		const other = await fetch(`${t.url}/inspector/actors/${plainId}/workflow`, {
			headers: { "x-rivet-token": TOKEN },
		});
		expect(await other.json()).toMatchObject({ isWorkflowEnabled: false, history: null });

		const missing = await fetch(`${t.url}/inspector/actors/0000000000000000/workflow`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		});
		expect(missing.status).toBe(404);
	});

	it("is disabled without a token", async () => {
		await using t = await setupTest(setup({ use: { flow } }));
		const response = await fetch(`${t.url}/inspector/actors/x/workflow`);
		expect(response.status).toBe(403);
		expect(await response.json()).toMatchObject({ group: "auth", code: "inspector_disabled" });
	});
});

// A step that returned 20 MB answered 20 MB per view, and ten views held the loop 2.8 s (an
// attacker probe, 2026-11-29): outputs and errors are previews now, each cut one marked.
describe("inspector: a workflow's large outputs", () => {
	it("shows previews of outputs and errors, not the whole values", async () => {
		const big = actor({
			state: {},
			actions: { ping: () => "pong" },
			run: workflow(async (ctx) => {
				await ctx.step("large", () => "x".repeat(2_000_000));
				await ctx.step("small", () => ({ ok: true }));
				await ctx.step({
					name: "fails",
					maxRetries: 0,
					run: () => {
						throw new Error("y".repeat(100_000));
					},
				});
			}),
		});
		await using t = await setupTest(
			setup({ use: { big }, inspector: { token: TOKEN }, logLevel: "silent" }),
		);
		const handle = t.client.big.getOrCreate("b");
		await handle.ping();
		const id = await handle.resolve();
		const url = `${t.url}/inspector/actors/${id}/workflow`;
		const read = async () =>
			(await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
		await expect.poll(async () => JSON.parse(await read()).history.status).toBe("failed");
		const text = await read();
		expect(text.length).toBeLessThan(40_000);
		const entries = JSON.parse(text).history.entries as {
			location: string;
			output?: unknown;
			outputCut?: boolean;
			error?: { message?: string };
		}[];
		const large = entries.find((entry) => entry.location === "large");
		expect(large?.outputCut).toBe(true);
		expect(String(large?.output).length).toBeLessThan(1_000);
		expect(entries.find((entry) => entry.location === "small")).toMatchObject({
			output: { ok: true },
		});
		expect(entries.find((entry) => entry.location === "small")?.outputCut).toBeUndefined();
		expect(
			entries.find((entry) => entry.location === "fails")?.error?.message?.length,
		).toBeLessThan(5_000);
	});
});

describe("inspector: a workflow's errors", () => {
	it("show their stack traces to the admin token only (they name the server's files)", async () => {
		const failing = actor({
			state: {},
			actions: { ping: () => "pong" },
			run: workflow(async (ctx) => {
				await ctx.step({
					name: "fails",
					maxRetries: 0,
					run: () => {
						throw new Error("it failed");
					},
				});
			}),
		});
		const ADMIN = "s3cret-admin-token-0123";
		await using t = await setupTest(
			setup({
				use: { failing },
				admin: { token: ADMIN },
				inspector: { token: TOKEN },
				logLevel: "silent",
			}),
		);
		const handle = t.client.failing.getOrCreate("f");
		await handle.ping();
		const id = await handle.resolve();
		const read = async (token: string) =>
			(
				await (
					await fetch(`${t.url}/inspector/actors/${id}/workflow`, {
						headers: { authorization: `Bearer ${token}` },
					})
				).json()
			).history as { status: string; error?: object; entries: { error?: object }[] };
		await expect.poll(async () => (await read(TOKEN)).status).toBe("failed");
		const readOnly = await read(TOKEN);
		expect(readOnly.entries[0]?.error).toMatchObject({ message: "it failed" });
		expect(readOnly.entries[0]?.error).not.toHaveProperty("stack");
		expect(JSON.stringify(readOnly)).not.toContain(import.meta.dirname);
		const admin = await read(ADMIN);
		expect(admin.entries[0]?.error).toMatchObject({
			message: "it failed",
			stack: expect.stringContaining("inspector.test.ts"),
		});
	});
});
