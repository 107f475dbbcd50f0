import { actor, event, queue } from "tenon";
import { workflow } from "tenon/workflow";

/** What an expense request is created with. */
export interface ExpenseInput {
	requester: string;
	amount: number;
	reason: string;
}

/** An approver's decision, sent to the request's `decisions` queue. */
export interface Decision {
	approved: boolean;
	by: string;
	note?: string;
}

type ApprovalStatus = "awaiting_approval" | "approved" | "rejected" | "expired";

/** How long a request waits for a decision. */
export const DECISION_TIMEOUT_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * An approval flow: one actor per expense request. The workflow waits for a
 * decision message for up to three days (a durable wait: the actor sleeps
 * meanwhile and survives restarts), answers the approver, and records the
 * outcome. Requests under 100 are approved without waiting.
 */
export const expense = actor({
	createState: (_c, input: ExpenseInput) => ({
		input,
		status: "awaiting_approval" as ApprovalStatus,
		decidedBy: null as string | null,
		note: null as string | null,
	}),
	events: { decided: event<ApprovalStatus>() },
	queues: { decisions: queue<Decision, { status: ApprovalStatus }>() },
	actions: { get: (c) => c.state },
	run: workflow(async (ctx) => {
		const amount = await ctx.step("read-amount", (c) => c.state.input.amount);
		if (amount < 100) {
			await ctx.step("auto-approve", (c) => {
				c.state.status = "approved";
				c.state.decidedBy = "policy";
				c.broadcast("decided", "approved");
			});
			return;
		}
		const decision = await ctx.queue.next("wait-for-decision", {
			names: ["decisions"],
			completable: true,
			timeout: DECISION_TIMEOUT_MS,
		});
		const status = await ctx.step("record-decision", (c) => {
			const outcome: ApprovalStatus =
				decision === undefined ? "expired" : decision.body.approved ? "approved" : "rejected";
			c.state.status = outcome;
			c.state.decidedBy = decision?.body.by ?? null;
			c.state.note = decision?.body.note ?? null;
			c.broadcast("decided", outcome);
			return outcome;
		});
		await decision?.complete({ status });
	}),
});
