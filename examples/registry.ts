import { setup } from "tenon";
import { chatRoom } from "./chat-room/chat-room.js";
import { counter } from "./counter/counter.js";

/** The example registry `npm start` serves. */
export const registry = setup({ use: { counter, chatRoom } });
