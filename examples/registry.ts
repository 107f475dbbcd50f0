import { setup } from "tenon";
import { chatRoom } from "./chat-room/chat-room.js";
import { counter } from "./counter/counter.js";
import { jobWorker } from "./job-worker/job-worker.js";
import { reminders } from "./reminders/reminders.js";

/** The example registry `npm start` serves. */
export const registry = setup({ use: { counter, chatRoom, reminders, jobWorker } });
