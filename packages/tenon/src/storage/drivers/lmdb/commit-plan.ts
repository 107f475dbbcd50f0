import { copyBytes } from "../../bytes.js";
import type { CommitItem, CommitResult } from "../../interfaces.js";
import type { LogOp } from "./log-record.js";
import type { OverlayView } from "./overlay-view.js";

/**
 * Turns one commit into blind writes, reading what it depends on (the
 * actor's fence, the keys inside its range deletes) through `view`. Each
 * write is handed to `emit` at once, which must make it visible to `view`,
 * so later reads of the same batch see it. A fenced commit emits nothing.
 *
 * Values are copied: the commit log's overlay keeps them after the caller has
 * its buffers back. Keys are not: the overlay keeps a string of each, and the
 * ops are encoded into the log's record before the commit call returns.
 */
export function planCommit(
	item: CommitItem,
	view: OverlayView,
	emit: (op: LogOp) => void,
): CommitResult {
	const actorId = item.actorId;
	const currentFence = view.fence(actorId);
	if (item.fence < currentFence) return { ok: false, reason: "fenced", currentFence };
	if (item.fence !== currentFence) emit({ kind: "fence", actorId, fence: item.fence });
	if (item.clear) for (const key of view.keys(actorId, {})) emit({ kind: "delete", actorId, key });
	for (const range of item.deleteRanges ?? [])
		for (const key of view.keys(actorId, range)) emit({ kind: "delete", actorId, key });
	for (const key of item.deletes) emit({ kind: "delete", actorId, key });
	for (const [key, value] of item.puts)
		emit({ kind: "put", actorId, key, value: copyBytes(value) });
	if (item.alarm !== undefined) emit({ kind: "alarm", actorId, at: item.alarm });
	return { ok: true };
}
