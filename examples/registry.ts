import { setup } from "tenon";
import { expense } from "./approval/approval.js";
import { chatRoom } from "./chat-room/chat-room.js";
import { counter } from "./counter/counter.js";
import { jobWorker } from "./job-worker/job-worker.js";
import { inventory, order, payments } from "./order-saga/order-saga.js";
import { reminders } from "./reminders/reminders.js";

/** The example registry `npm start` serves. */
export const registry = setup({
	use: { counter, chatRoom, reminders, jobWorker, order, inventory, payments, expense },
});
