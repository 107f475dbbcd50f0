import { actor, event, type Registry, UserError } from "tenon";
import { CriticalError, workflow } from "tenon/workflow";
import { z } from "zod";
import { spendCreation } from "../auth/creations.js";
import { type Identity, type TokenParams, tokenOf, verifyToken } from "../auth/tokens.js";
import { isBlank, withoutHidden } from "../validation/visible-text.js";

/** An order's key is `[customerId, orderName]`: only that customer may place or read it. */
function requireCustomer(key: readonly string[], params: unknown): Identity {
	const identity = verifyToken(tokenOf(params));
	if (key.length !== 2 || key[0] !== identity.userId)
		throw new UserError("Forbidden: orders are keyed [your user id, order name]", {
			code: "forbidden",
		});
	return identity;
}

/**
 * For services only other actors may call (here: inventory and payments,
 * called by orders through `c.client()`): `c.request.internal` is true only
 * for such calls, never for a request from the network.
 */
function internalOnly(c: { request: { internal: boolean } | undefined }): void {
	if (!c.request?.internal)
		throw new UserError("Forbidden: an internal service", { code: "forbidden" });
}

/** The catalogue: the items there are. */
const sku = z.enum(["widget", "gadget"]);
type Sku = z.infer<typeof sku>;

/** What one of each item costs. An order charges this, never an amount the client sent. */
export const PRICES: Readonly<Record<Sku, number>> = { widget: 20, gadget: 45 };

/** The most of an item one order takes. */
export const MAX_PER_ORDER = 3;

/**
 * The most of an item one customer holds over all their orders (a cancelled
 * order gives its share back): the stock is shared, and one customer does not
 * take all of it. Two customers do (the demo hands out guest accounts): the
 * stock comes back with time ({@link restock}).
 */
export const MAX_PER_CUSTOMER = 5;

/** How much of each item the shop holds when full. */
export const STOCK_LEVEL = 10;
/**
 * One of each item comes back this often, up to {@link STOCK_LEVEL}. Two
 * guests took all the stock for good before (an attacker probe, 2026-11-28);
 * a shop of the demo's size restocks, so it is out of stock for a while only.
 */
export const RESTOCK_MS = 60_000;

/** The stock at `now`, restocked since `at` (ms): what comes back, and when it was counted to. */
export function restock(
	stock: Record<string, number>,
	at: number,
	now: number,
): { stock: Record<string, number>; at: number } {
	const periods = Math.floor((now - at) / RESTOCK_MS);
	if (!(periods > 0)) return { stock, at };
	const filled: Record<string, number> = {};
	for (const [sku, left] of Object.entries(stock))
		filled[sku] = Math.max(left, Math.min(STOCK_LEVEL, left + periods));
	return { stock: filled, at: at + periods * RESTOCK_MS };
}

/**
 * Stock, with reservations keyed by order id: reserving twice for the same
 * order (a step retried after a crash) returns the first reservation. A
 * customer holds at most MAX_PER_CUSTOMER of an item.
 * Internal: only orders may call it.
 */
export const inventory = actor({
	onBeforeCreate: (c) => internalOnly(c),
	onBeforeConnect: (c) => internalOnly(c),
	state: {
		// More of each than one customer may hold (a stock of 3 gadgets went to one order).
		stock: { widget: STOCK_LEVEL, gadget: STOCK_LEVEL } as Record<string, number>,
		/** When the stock was last counted up to (ms since the epoch; it starts full). */
		restockedAt: 0,
		reservations: {} as Record<string, { sku: string; quantity: number; customerId: string }>,
	},
	actions: {
		reserve: (c, orderId: string, customerId: string, sku: string, quantity: number) => {
			// Own properties only: a SKU named "constructor" must not find Object's.
			if (Object.hasOwn(c.state.reservations, orderId)) return orderId;
			const held = Object.values(c.state.reservations)
				.filter((r) => r.customerId === customerId && r.sku === sku)
				.reduce((sum, r) => sum + r.quantity, 0);
			if (held + quantity > MAX_PER_CUSTOMER) {
				throw new UserError(`a customer may hold at most ${MAX_PER_CUSTOMER} ${sku}`, {
					code: "limit_reached",
				});
			}
			({ stock: c.state.stock, at: c.state.restockedAt } = restock(
				c.state.stock,
				c.state.restockedAt,
				Date.now(),
			));
			const available = Object.hasOwn(c.state.stock, sku) ? (c.state.stock[sku] ?? 0) : 0;
			if (available < quantity) {
				throw new UserError(`only ${available} ${sku} left`, { code: "out_of_stock" });
			}
			c.state.stock[sku] = available - quantity;
			c.state.reservations[orderId] = { sku, quantity, customerId };
			return orderId;
		},
		release: (c, reservationId: string) => {
			if (!Object.hasOwn(c.state.reservations, reservationId)) return false;
			const reservation = c.state.reservations[reservationId];
			if (!reservation) return false;
			// At most the shop's level: with restocking, cancelled orders grew it without end
			// (reserve, wait for the restock, cancel: a review, 2026-11-28).
			c.state.stock[reservation.sku] = Math.min(
				STOCK_LEVEL,
				(c.state.stock[reservation.sku] ?? 0) + reservation.quantity,
			);
			delete c.state.reservations[reservationId];
			return true;
		},
		stock: (c, sku: string) => {
			const { stock } = restock(c.state.stock, c.state.restockedAt, Date.now());
			return Object.hasOwn(stock, sku) ? stock[sku] : 0;
		},
	},
});

/**
 * Refunded charges the payments actor keeps (the oldest go first): every order that fails
 * after its charge leaves one, and a customer placing orders that fail (a blank address)
 * grew this shared actor's state without end (an attacker probe, 2026-11-27). A refunded
 * order is cancelled, so its charge is never asked for again.
 */
export const MAX_REFUNDED_KEPT = 100;

/** Card payments, idempotent per order like the inventory. Internal: only orders may call it. */
export const payments = actor({
	onBeforeCreate: (c) => internalOnly(c),
	onBeforeConnect: (c) => internalOnly(c),
	state: { charges: {} as Record<string, { amount: number; refunded: boolean }> },
	actions: {
		charge: (c, orderId: string, amount: number, card: string) => {
			if (card === "declined") throw new UserError("card declined", { code: "card_declined" });
			if (!Object.hasOwn(c.state.charges, orderId))
				c.state.charges[orderId] = { amount, refunded: false };
			return `ch_${orderId}`;
		},
		refund: (c, chargeId: string) => {
			const orderId = chargeId.replace(/^ch_/, "");
			const charge = Object.hasOwn(c.state.charges, orderId) ? c.state.charges[orderId] : undefined;
			if (!charge || charge.refunded) return false;
			charge.refunded = true;
			const refunded = Object.keys(c.state.charges).filter((id) => c.state.charges[id]?.refunded);
			for (const id of refunded.slice(0, Math.max(0, refunded.length - MAX_REFUNDED_KEPT)))
				delete c.state.charges[id];
			return true;
		},
		chargeFor: (c, orderId: string) =>
			Object.hasOwn(c.state.charges, orderId) ? c.state.charges[orderId] : null,
	},
});

/** The services the order talks to (a registry type for `c.client()`). */
type Services = Registry<{ inventory: typeof inventory; payments: typeof payments }>;

/** What an order is created with: what to buy, never what it costs (the catalogue says). */
export interface OrderInput {
	sku: Sku;
	quantity: number;
	card: string;
	address: string;
}

type OrderStatus = "placed" | "reserved" | "paid" | "shipped" | "cancelled";

// Strict: a field it does not name (an `amount`, anything) is refused, not stored.
const orderInput = z
	.object({
		sku,
		quantity: z.number().int().min(1).max(MAX_PER_ORDER),
		/** A card token from the payment provider (never a card number). */
		// A token's characters only: a NUL and an escape sequence were stored (a probe, 2026-11-28).
		card: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
		// Nothing hidden (a direction override, a NUL); a blank one is taken, and cancels the
		// order when it ships: that is how this example shows its compensations.
		address: withoutHidden().max(500),
	})
	.strict();

/**
 * An order-processing saga: reserve stock, charge the card, ship. Each step
 * is journaled; if a later step fails for good, the completed ones are
 * compensated newest first (refund, then release) and the order is cancelled.
 * A crash anywhere resumes from the journal without repeating finished steps.
 *
 * Orders belong to a customer: the key is `[customerId, orderName]`, and only
 * that customer (proven by a signed token) may place or read it. The customer
 * says what to buy; the catalogue says what it costs (PRICES), and no order
 * or customer takes more than their share of the stock. The card token is
 * never shown back.
 */
export const order = actor({
	// The input as parsed (onBeforeCreate checked it), never the raw value the
	// client sent; the amount from the catalogue.
	createState: (_c, input: OrderInput) => {
		const order = orderInput.parse(input);
		return {
			input: order,
			amount: PRICES[order.sku] * order.quantity,
			status: "placed" as OrderStatus,
			trackingNumber: null as string | null,
			problem: null as string | null,
		};
	},
	// Checked before the order is stored: the workflow only ever sees a well-formed order.
	onBeforeCreate: (c, input) => {
		const identity = requireCustomer(c.key, c.params);
		if (!orderInput.safeParse(input).success)
			throw new UserError("invalid order", { code: "invalid_order" });
		spendCreation(identity);
	},
	onBeforeConnect: (c, params: TokenParams) => {
		requireCustomer(c.key, params);
	},
	events: { status: event<OrderStatus>() },
	actions: {
		get: (c) => ({ ...c.state, input: { ...c.state.input, card: "****" } }),
		/** What the services hold for this order: stock left of its item, and its charge. */
		receipt: async (c) => {
			const services = c.client<Services>();
			const orderId = c.actorId;
			return {
				stockLeft: await services.inventory.getOrCreate("main").stock(c.state.input.sku),
				charge: await services.payments.getOrCreate("main").chargeFor(orderId),
			};
		},
	},
	run: workflow(
		async (ctx) => {
			// The actor id is unique; a key joined with "/" is not (["a","b"] and ["a/b"]).
			const orderId = ctx.actorId;
			const [customerId = ""] = ctx.key;
			await ctx.rollbackCheckpoint("order");
			await ctx.step({
				name: "reserve",
				run: async (c) => {
					const { sku, quantity } = c.state.input;
					const id = await c
						.client<Services>()
						.inventory.getOrCreate("main")
						.reserve(orderId, customerId, sku, quantity);
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
					const { amount } = c.state;
					const { card } = c.state.input;
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
				if (isBlank(c.state.input.address)) throw new CriticalError("no delivery address");
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
