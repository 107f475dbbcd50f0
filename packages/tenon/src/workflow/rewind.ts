// The inspector's "replay from step": a halted workflow's journal loses the
// entry at a top-level position and everything after it, so the next run
// replays what came before (recorded results) and does the rest again.

import type { RunRewind, RunStorage } from "../actor/run-host.js";
import { ActorError } from "../protocol/errors.js";
import {
	clearHaltReported,
	consumedMessages,
	deleteEntriesFrom,
	type JournalEntry,
	putStatus,
	readJournal,
	uncompletedMessageIds,
} from "./journal.js";

/** Where a replay starts: a top-level journal position, as the workflow history lists it. */
export interface ReplayPoint {
	/** The entry's path; only top-level entries (one segment) can be replayed from. */
	path: [number];
}

/**
 * Checks `point` (an operator's request: untrusted) and removes the journal
 * from it onwards, through `storage` (the caller's turn commits it). A
 * finished workflow is set running again with its first start time kept.
 *
 * Refused (`workflow/replay_refused`, nothing written) when the work from
 * there consumed queue messages (they are gone: a replay would wait for new
 * ones; a loop records it when it prunes iterations that did) or when compensations ran, started or failed anywhere (the effects
 * their steps recorded were undone, maybe in part, so replaying those results
 * would be a lie).
 */
export async function rewindJournal(storage: RunStorage, point: unknown): Promise<RunRewind> {
	const ordinal = topLevelOrdinal(point);
	const { status, entries } = await readJournal({
		get: (keys) => storage.get(keys),
		list: (range) => storage.list(range),
	});
	const from = entries.find(({ path }) => path.length === 1 && path[0] === ordinal);
	if (from === undefined)
		throw new ActorError(
			"workflow",
			"replay_not_found",
			`The workflow has no top-level entry at position ${ordinal}`,
			{ path: [ordinal] },
		);
	const removed = entries.filter(({ path }) => (path[0] as number) >= ordinal);
	const refusal = replayRefusals(entries).get(ordinal);
	if (refusal !== undefined)
		throw new ActorError("workflow", "replay_refused", refusal.message, {
			reason: refusal.reason,
			path: refusal.path,
		});
	deleteEntriesFrom(storage, ordinal);
	clearHaltReported(storage);
	if (status !== undefined && status.status !== "running")
		putStatus(storage, { v: 1, status: "running", startedAt: status.startedAt });
	// What the removed work received and did not complete goes back to the queue (the
	// replay's receive waited for it for good: a review, 2026-11-26).
	const releases = uncompletedMessageIds(removed);
	return {
		from: from.entry.name,
		startedAt: from.entry.createdAt,
		removed: removed.length,
		...(releases.length === 0 ? {} : { releases }),
	};
}

function topLevelOrdinal(point: unknown): number {
	const path =
		typeof point === "object" && point !== null ? (point as { path?: unknown }).path : undefined;
	if (
		!Array.isArray(path) ||
		path.length !== 1 ||
		!Number.isSafeInteger(path[0]) ||
		(path[0] as number) < 0
	)
		throw new ActorError(
			"workflow",
			"replay_invalid",
			"A replay starts at a top-level entry: 'path' must be one non-negative integer, e.g. [2]",
		);
	return path[0] as number;
}

/** Why a replay from a top-level entry is refused: `reason` (a word), a message, the entry that refuses it. */
export interface ReplayRefusal {
	reason: "rolled_back" | "messages_consumed";
	message: string;
	path: number[];
}

/**
 * Why a replay from each top-level position would be refused (a position not in the map
 * may be replayed from): anywhere, once a compensation ran, started or failed; from a
 * position, when an entry there or later consumed queue messages. The inspector shows it
 * on each entry, so that "Replay from here" is not offered where it can only fail (a
 * walkthrough, 2026-11-29), and `rewindJournal` refuses with it.
 */
export function replayRefusals(
	entries: readonly { path: number[]; entry: JournalEntry }[],
): Map<number, ReplayRefusal> {
	const refusals = new Map<number, ReplayRefusal>();
	const ordinals = [...new Set(entries.map(({ path }) => path[0] as number))].sort((a, b) => a - b);
	const rolled = entries.find(
		({ entry }) =>
			entry.rolledBackAt !== undefined ||
			entry.rollingBack === true ||
			entry.rollbackError !== undefined,
	);
	if (rolled !== undefined) {
		const refusal: ReplayRefusal = {
			reason: "rolled_back",
			message: `Step '${rolled.entry.name}' was rolled back (its compensation ran, or started): its recorded result no longer holds`,
			path: rolled.path,
		};
		for (const ordinal of ordinals) refusals.set(ordinal, refusal);
		return refusals;
	}
	// The first consumer (in journal order) at or after each position.
	const firstAt = new Map<number, number>();
	entries.forEach(({ path, entry }, index) => {
		const at = path[0] as number;
		if (consumedMessages(entry) && !firstAt.has(at)) firstAt.set(at, index);
	});
	let first: number | undefined;
	for (const ordinal of [...ordinals].reverse()) {
		const here = firstAt.get(ordinal);
		if (here !== undefined && (first === undefined || here < first)) first = here;
		if (first === undefined) continue;
		const { path, entry } = entries[first] as { path: number[]; entry: JournalEntry };
		refusals.set(ordinal, {
			reason: "messages_consumed",
			message: `'${entry.name}' received queue messages that are gone now; replaying it would wait for new ones`,
			path,
		});
	}
	return refusals;
}
