import { setup } from "tenon";
import { codeAgent } from "./agent/code-agent.js";
import { promptQuota } from "./agent/prompt-quota.js";
import { shop } from "./agent/shop.js";
import { supportAgent } from "./agent/support-agent.js";
import { expense } from "./approval/approval.js";
import { board } from "./board/board.js";
import { chatHistory } from "./chat-history/chat-history.js";
import { chatRoom } from "./chat-room/chat-room.js";
import { note } from "./collab-editor/note.js";
import { counter } from "./counter/counter.js";
import { jobWorker } from "./job-worker/job-worker.js";
import { inventory, order, payments } from "./order-saga/order-saga.js";
import { reminders } from "./reminders/reminders.js";
import { todoList } from "./todo-list/todo-list.js";

/** The example registry `npm start` serves. */
export const registry = setup({
	use: {
		counter,
		chatRoom,
		reminders,
		jobWorker,
		order,
		inventory,
		payments,
		expense,
		todoList,
		chatHistory,
		note,
		board,
		shop,
		supportAgent,
		promptQuota,
		codeAgent,
	},
	// Time travel in the inspector (its History tab): the last 50 state changes of each actor.
	inspector: { turnHistory: 50 },
});
