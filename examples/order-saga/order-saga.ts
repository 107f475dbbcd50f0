import { actor, event, type Registry, UserError } from "tenon";
import { CriticalError, workflow } from "tenon/workflow";

/**
 * Stock, with reservations keyed by order id: reserving twice for the same
 * order (a step retried after a crash) returns the first reservation.
 */
export const inventory = actor({
	state: {
		stock: { widget: 10, gadget: 3 } as Record<string, number>,
		reservations: {} as Record<string, { sku: string; quantity: number }>,
	},
	actions: {
		reserve: (c, orderId: string, sku: string, quantity: number) => {
			if (c.state.reservations[orderId]) return orderId;
			const available = c.state.stock[sku] ?? 0;
			if (available < quantity) {
				throw new UserError(`only ${available} ${sku} left`, { code: "out_of_stock" });
			}
			c.state.stock[sku] = available - quantity;
			c.state.reservations[orderId] = { sku, quantity };
			return orderId;
		},
		release: (c, reservationId: string) => {
			const reservation = c.state.reservations[reservationId];
			if (!reservation) return false;
			c.state.stock[reservation.sku] = (c.state.stock[reservation.sku] ?? 0) + reservation.quantity;
			delete c.state.reservations[reservationId];
			return true;
		},
		stock: (c, sku: string) => c.state.stock[sku] ?? 0,
	},
});

/** Card payments, idempotent per order like the inventory. */
export const payments = actor({
	state: { charges: {} as Record<string, { amount: number; refunded: boolean }> },
	actions: {
		charge: (c, orderId: string, amount: number, card: string) => {
			if (card === "declined") throw new UserError("card declined", { code: "card_declined" });
			c.state.charges[orderId] ??= { amount, refunded: false };
			return `ch_${orderId}`;
		},
		refund: (c, chargeId: string) => {
			const charge = c.state.charges[chargeId.replace(/^ch_/, "")];
			if (!charge || charge.refunded) return false;
			charge.refunded = true;
			return true;
		},
		chargeFor: (c, orderId: string) => c.state.charges[orderId] ?? null,
	},
});

/** The services the order talks to (a registry type for `c.client()`). */
type Services = Registry<{ inventory: typeof inventory; payments: typeof payments }>;

/** What an order is created with. */
export interface OrderInput {
	sku: string;
	quantity: number;
	amount: number;
	card: string;
	address: string;
}

type OrderStatus = "placed" | "reserved" | "paid" | "shipped" | "cancelled";

/**
 * An order-processing saga: reserve stock, charge the card, ship. Each step
 * is journaled; if a later step fails for good, the completed ones are
 * compensated newest first (refund, then release) and the order is cancelled.
 * A crash anywhere resumes from the journal without repeating finished steps.
 */
export const order = actor({
	createState: (_c, input: OrderInput) => ({
		input,
		status: "placed" as OrderStatus,
		trackingNumber: null as string | null,
		problem: null as string | null,
	}),
	events: { status: event<OrderStatus>() },
	actions: { get: (c) => c.state },
	run: workflow(
		async (ctx) => {
			const orderId = ctx.key.join("/");
			await ctx.rollbackCheckpoint("order");
			await ctx.step({
				name: "reserve",
				run: async (c) => {
					const { sku, quantity } = c.state.input;
					const id = await c
						.client<Services>()
						.inventory.getOrCreate("main")
						.reserve(orderId, sku, quantity);
					c.state.status = "reserved";
					c.broadcast("status", "reserved");
					return id;
				},
				rollback: async (c, reservationId) => {
					await c.client<Services>().inventory.getOrCreate("main").release(reservationId);
				},
				maxRetries: 0,
			});
			await ctx.step({
				name: "charge",
				run: async (c) => {
					const { amount, card } = c.state.input;
					try {
						const chargeId = await c
							.client<Services>()
							.payments.getOrCreate("main")
							.charge(orderId, amount, card);
						c.state.status = "paid";
						c.broadcast("status", "paid");
						return chargeId;
					} catch (error) {
						// A declined card will not get better by retrying.
						if (error instanceof Error && "code" in error && error.code === "card_declined") {
							throw new CriticalError("card declined");
						}
						throw error;
					}
				},
				rollback: async (c, chargeId) => {
					await c.client<Services>().payments.getOrCreate("main").refund(chargeId);
				},
			});
			await ctx.step("ship", (c) => {
				if (c.state.input.address.trim() === "") throw new CriticalError("no delivery address");
				c.state.trackingNumber = `TRK-${orderId.toUpperCase()}`;
				c.state.status = "shipped";
				c.broadcast("status", "shipped");
			});
		},
		{
			onError: (c, event) => {
				// After the compensations ran: the order is cancelled.
				if ("workflow" in event) {
					c.state.status = "cancelled";
					c.state.problem = event.workflow.error.message;
					c.broadcast("status", "cancelled");
				}
			},
		},
	),
});
