// Row 6's wake-up request, for the tools that study it (memory-breakdown.ts,
// promoted-garbage.ts): Tenon's client calling `touch` on an idle actor,
// captured once and replayed for each key over keep-alive sockets.
import { createClient } from "tenon/client";
import type { benchRegistry } from "../servers/tenon.js";
import { captureRequest, RequestReplay } from "./http-replay.js";

/** Wake-ups in flight, as row 6 sends them. */
export const IDLE_WAKE_CONCURRENCY = 64;

/** The replayed `touch` of the bench server's idle actors at `endpoint`. */
export async function idleTouchReplay(endpoint: string): Promise<RequestReplay> {
	return new RequestReplay(
		await captureRequest((fetch) =>
			createClient<typeof benchRegistry>({ messageRate: false, endpoint, encoding: "cbor", fetch })
				.idle.getOrCreate("idle-0")
				.touch(),
		),
		IDLE_WAKE_CONCURRENCY,
	);
}

/** The replay's key of idle actor `i`. */
export const idleKey = (i: number) => ({ "rvt-key": `idle-${i}` });
