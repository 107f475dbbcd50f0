import { actor, UserError } from "tenon";
import { z } from "zod";
import { requireOwner, type TokenParams } from "../auth/tokens.js";

/** An order of the demo shop. */
export interface Order {
	id: string;
	item: string;
	totalCents: number;
	status: "shipped" | "delivered" | "refunded";
}

/** Every new customer starts with the same three demo orders. */
const DEMO_ORDERS: Order[] = [
	{ id: "A-1001", item: "Walnut desk tray", totalCents: 4_900, status: "delivered" },
	{ id: "A-1002", item: "Brass pen", totalCents: 2_500, status: "shipped" },
	{ id: "A-1003", item: "Linen notebook (3)", totalCents: 1_800, status: "delivered" },
];

/**
 * A customer's orders in the demo shop, one actor per customer. Only that
 * customer (a token naming them) may read them; refunds come only from the
 * support agent's tools, which call it with a short-lived token the server
 * issues for the user whose prompt started the turn.
 */
export const shop = actor({
	state: { orders: DEMO_ORDERS.map((order) => ({ ...order })) },
	// Keyed by the customer's id alone: nobody makes (stores) or opens another's shop.
	onBeforeCreate: (c) => {
		requireOwner(c.key, c.params);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireOwner(c.key, params);
	},
	actionInputSchemas: { refund: z.tuple([z.string().max(20)]) },
	actions: {
		orders: (c) => c.state.orders,
		/**
		 * Refunds an order; refunding it again changes nothing (safe to retry). Only through
		 * the support agent's tool (another actor, `c.request.internal`), whose call waits for
		 * the customer's confirmation: called by the customer directly, it skipped that step
		 * (a review, 2026-11-27).
		 */
		refund: (c, orderId: string) => {
			if (!c.request?.internal)
				throw new UserError("Refunds go through the support agent", { code: "forbidden" });
			const order = c.state.orders.find((o) => o.id === orderId);
			if (order === undefined) throw new UserError(`No order ${orderId}`, { code: "not_found" });
			order.status = "refunded";
			return order;
		},
	},
});
