import { describe, expectTypeOf, it } from "vitest";
import { actor, event, queue, setup } from "../../src/index.js";
import {
	Loop,
	type TryBlockResult,
	type TryStepResult,
	type WorkflowContextOf,
	type WorkflowStepContextOf,
	workflow,
} from "../../src/workflow/index.js";

interface Order {
	sku: string;
	quantity: number;
}

function reserve(c: WorkflowStepContextOf<typeof orders>, order: Order): string {
	c.state.reserved += order.quantity;
	c.broadcast("progress", "reserved");
	return `res-${order.sku}`;
}

async function helper(ctx: WorkflowContextOf<typeof orders>): Promise<number> {
	return ctx.step("helper", (c) => c.state.reserved);
}

const orders = actor({
	state: { reserved: 0, status: "new" as "new" | "done" },
	vars: { attempts: 0 },
	events: { progress: event<string>() },
	queues: {
		orders: queue<Order, { ok: boolean }>(),
		cancel: queue<{ reason: string }>(),
	},
	actions: { status: (c) => c.state.status },
	run: workflow(
		async (ctx) => {
			// Steps see the actor's typed state, vars, events and queues.
			const count = await ctx.step("count", (c) => {
				expectTypeOf(c.state.reserved).toEqualTypeOf<number>();
				expectTypeOf(c.vars.attempts).toEqualTypeOf<number>();
				// The attempt's number and signal.
				expectTypeOf(c.attempt).toEqualTypeOf<number>();
				expectTypeOf(c.abortSignal).toEqualTypeOf<AbortSignal>();
				return c.state.reserved;
			});
			expectTypeOf(count).toEqualTypeOf<number>();
			const asyncResult = await ctx.step("async", async () => "text");
			expectTypeOf(asyncResult).toEqualTypeOf<string>();
			expectTypeOf(await helper(ctx)).toEqualTypeOf<number>();

			const message = await ctx.queue.next("wait-order", { names: ["orders"], completable: true });
			expectTypeOf(message.body).toEqualTypeOf<Order>();
			await message.complete({ ok: true });
			// @ts-expect-error the reply type is { ok: boolean }
			await message.complete({ ok: 1 });
			const maybe = await ctx.queue.next("maybe", { names: ["cancel"], timeout: 1_000 });
			expectTypeOf(maybe).toEqualTypeOf<
				| {
						readonly id: string;
						readonly name: "cancel";
						readonly body: { reason: string };
						readonly createdAt: number;
				  }
				| undefined
			>();
			const batch = await ctx.queue.nextBatch("batch", { count: 5 });
			expectTypeOf(batch[0]?.name).toEqualTypeOf<"orders" | "cancel" | undefined>();

			const reservation = await ctx.step({
				name: "reserve",
				run: (c) => reserve(c, message.body),
				rollback: (c, output) => {
					expectTypeOf(output).toEqualTypeOf<string>();
					expectTypeOf(c.attempt).toEqualTypeOf<number>();
				},
			});
			expectTypeOf(reservation).toEqualTypeOf<string>();

			const charged = await ctx.tryStep("charge", async () => 12.5);
			expectTypeOf(charged).toEqualTypeOf<TryStepResult<number>>();
			if (!charged.ok)
				expectTypeOf(charged.failure.kind).toEqualTypeOf<"critical" | "timeout" | "exhausted">();

			const block = await ctx.try("block", async (inner) => inner.step("x", () => true));
			expectTypeOf(block).toEqualTypeOf<TryBlockResult<boolean>>();

			const total = await ctx.loop({
				name: "sum",
				state: { i: 0 },
				run: async (_loop, { i }) => (i >= 3 ? Loop.break(i * 2) : Loop.continue({ i: i + 1 })),
			});
			expectTypeOf(total).toEqualTypeOf<number>();
			const forever = await ctx.loop("forever", async (loop) => {
				await loop.sleep("tick", 1_000);
			});
			expectTypeOf(forever).toEqualTypeOf<void>();

			const joined = await ctx.join("fetch", {
				users: { run: async (b) => b.step("users", () => 3) },
				name: { run: async (b) => b.step("name", () => "n") },
			});
			expectTypeOf(joined).toEqualTypeOf<{ users: number; name: string }>();

			const raced = await ctx.race("first", [
				{ name: "a", run: async () => 1 },
				{ name: "b", run: async () => 2 },
			]);
			expectTypeOf(raced).toEqualTypeOf<{ winner: string; value: number }>();
			expectTypeOf(await ctx.getVersion("v", 2)).toEqualTypeOf<number>();

			// Actor data on the workflow context is typed too (usable inside steps only).
			expectTypeOf(ctx.state.status).toEqualTypeOf<"new" | "done">();
			// @ts-expect-error undeclared event
			ctx.broadcast("nope", 1);
		},
		{
			onError: (c, event) => {
				expectTypeOf(c.state.reserved).toEqualTypeOf<number>();
				if ("step" in event) expectTypeOf(event.step.attempt).toEqualTypeOf<number>();
			},
		},
	),
});

const registry = setup({ use: { orders } });

describe("workflow types", () => {
	it("keeps the registry's client typing", () => {
		type Handle = ReturnType<ReturnType<typeof createTypedClient>["orders"]["getOrCreate"]>;
		expectTypeOf<Handle["status"]>().toEqualTypeOf<() => Promise<"new" | "done">>();
	});
});

declare function createTypedClient(): import("../../src/client/index.js").Client<typeof registry>;
