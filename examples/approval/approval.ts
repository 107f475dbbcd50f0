import { actor, event, internalQueue, UserError } from "tenon";
import { workflow } from "tenon/workflow";
import { z } from "zod";
import { spendCreation } from "../auth/creations.js";
import {
	checkResuming,
	type Identity,
	type TokenParams,
	tokenOf,
	verifyToken,
} from "../auth/tokens.js";
import { visibleText, withoutHidden } from "../validation/visible-text.js";

/** What an expense request is created with. */
export interface ExpenseInput {
	/** Who asks; must be the signed-in user creating the request. */
	requester: string;
	amount: number;
	reason: string;
}

/** An approver's decision, as the `decide` action records it on the `decisions` queue. */
export interface Decision {
	approved: boolean;
	/** The approver, from their verified token. */
	by: string;
	note?: string;
}

type ApprovalStatus = "awaiting_approval" | "approved" | "rejected" | "expired";

/** How long a request waits for a decision. */
export const DECISION_TIMEOUT_MS = 3 * 24 * 60 * 60 * 1000;

// Strict: a field it does not name is refused, not stored beside the checked ones.
const expenseInput = z
	.object({
		requester: z.string().min(1).max(64),
		amount: z.number().positive().max(1_000_000),
		reason: visibleText(500),
	})
	.strict();

const forbidden = (why: string) => new UserError(`Forbidden: ${why}`, { code: "forbidden" });

/** Who may read a request and hear its outcome: its requester and approvers. */
const mayRead = (identity: Identity, requester: string) =>
	identity.userId === requester || identity.roles.includes("approver");

/**
 * An approval flow: one actor per expense request. The workflow waits for a
 * decision message for up to three days (a durable wait: the actor sleeps
 * meanwhile and survives restarts), and records the outcome. Requests under
 * 100 are approved without waiting.
 *
 * Requests are keyed `[requester, name]`. Who may do what comes from signed
 * tokens, checked by the hooks: only the requester themselves may file a
 * request (with exactly its three fields); only the requester and approvers
 * may read it or hear its outcome (`decided`); only an approver other than
 * the requester may decide, through `decide`, which puts the decision (with
 * the approver's verified name) on the queue. Clients cannot send to the
 * queue directly.
 */
export const expense = actor({
	// The input as parsed (onBeforeCreate checked it): never the raw value the client sent.
	createState: (_c, input: ExpenseInput) => ({
		input: expenseInput.parse(input),
		status: "awaiting_approval" as ApprovalStatus,
		decidedBy: null as string | null,
		note: null as string | null,
		/** Set when an approver decided (the workflow records it next). */
		submittedBy: null as string | null,
	}),
	onBeforeCreate: (c, input) => {
		const identity = verifyToken(tokenOf(c.params));
		const parsed = expenseInput.safeParse(input);
		if (!parsed.success) throw new UserError("invalid expense", { code: "invalid_expense" });
		if (parsed.data.requester !== identity.userId) throw forbidden("file expenses as yourself");
		// Keys are [requester, name]: nobody can take a key another user would use.
		if (c.key.length !== 2 || c.key[0] !== identity.userId)
			throw forbidden("expenses are keyed [your user id, name]");
		spendCreation(identity);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		checkResuming(c.resuming, verifyToken(params?.token));
	},
	createConnState: (_c, params: TokenParams) => verifyToken(params.token),
	events: {
		// An outcome is as private as the request: a connection that may not read it
		// is refused the subscription (`auth/forbidden`).
		decided: event<ApprovalStatus>({
			canSubscribe: (c) => mayRead(c.conn.state as Identity, c.state.input.requester),
		}),
	},
	queues: {
		// Only the actor's `decide` action sends here, after its checks: clients are refused,
		// and the typed client does not offer the queue.
		decisions: internalQueue<Decision, { status: ApprovalStatus }>(),
	},
	actionInputSchemas: {
		decide: z.tuple([z.boolean(), withoutHidden().max(500).optional()]),
	},
	actions: {
		get: (c) => {
			if (!mayRead(c.conn.state, c.state.input.requester))
				throw forbidden("only the requester and approvers see this request");
			return c.state;
		},
		decide: async (c, approved: boolean, note?: string) => {
			const { userId, roles } = c.conn.state;
			if (!roles.includes("approver")) throw forbidden("approvers only");
			if (userId === c.state.input.requester) throw forbidden("nobody approves their own expense");
			if (c.state.status !== "awaiting_approval" || c.state.submittedBy !== null)
				throw new UserError("this request was decided already", { code: "already_decided" });
			c.state.submittedBy = userId;
			const decision: Decision = { approved, by: userId, ...(note ? { note } : {}) };
			await c.queue.send("decisions", decision);
			return { status: "submitted" as const };
		},
	},
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
