import { type AgentTool, agentActor, defineTool, type ToolContext } from "tenon/agent";
import { z } from "zod";
import { issueToken } from "../auth/tokens.js";
import type { registry } from "../registry.js";
import { demoModel } from "./demo-model.js";
import { ownConversation } from "./own-conversation.js";

/**
 * The user's shop, as the requester: a token the server issues for the user
 * whose prompt started the turn (from the conversation's verified
 * connection), valid for a minute. The model never chooses whose orders.
 */
function shopOf(context: ToolContext) {
	const token = issueToken({ userId: context.requester.id, roles: [] }, 60_000);
	return context
		.client<typeof registry>()
		.shop.getOrCreate(context.requester.id, { params: { token } });
}

// (Typed by hand: the tools call the registry, whose type includes this agent.)
const listOrders: AgentTool<Record<string, never>> = defineTool({
	name: "list_orders",
	description: "Lists the signed-in customer's orders (id, item, total, status).",
	input: z.object({}).strict(),
	execute: (_input, context) => shopOf(context).orders(),
});

const refundOrder: AgentTool<{ orderId: string }> = defineTool({
	name: "refund_order",
	description: "Refunds one of the signed-in customer's orders. Needs the customer's confirmation.",
	input: z.object({ orderId: z.string().regex(/^A-\d{4}$/) }).strict(),
	risk: "high",
	execute: ({ orderId }, context) => shopOf(context).refund(orderId),
});

/**
 * A support agent, one actor per conversation, keyed `[userId, conversationId]`:
 * only that user may open it (their signed token must name them). It can
 * list the user's orders and refund one, and a refund waits until the user
 * approves it in the page (a model that writes "approved" approves nothing).
 */
export const supportAgent = agentActor({
	model: demoModel(),
	system: (requester) =>
		`You are the support agent of a small shop. You help customer ${requester.id} with their orders. ` +
		"Use list_orders to see them and refund_order to refund one; refunds need the customer's confirmation.",
	tools: [listOrders, refundOrder],
	...ownConversation,
});
