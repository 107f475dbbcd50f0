// Where the workflow tab says why a replay is refused.

/** What {@link firstRefusal} reads of a history entry. */
export interface RefusableEntry {
	path: readonly number[];
	replayRefused?: { message: string } | undefined;
}

/**
 * Whether entry `index` is a top-level step whose replay is refused for a reason the top-level
 * step before it does not share: the reason is said there once. Every step after a rolled-back
 * one is refused for the same reason, and the tab repeated it on each (a walkthrough,
 * 2026-11-29); the later ones keep it as their disabled button's tooltip.
 */
export function firstRefusal(entries: readonly RefusableEntry[], index: number): boolean {
	const entry = entries[index];
	if (entry === undefined || entry.path.length !== 1 || entry.replayRefused === undefined)
		return false;
	for (let before = index - 1; before >= 0; before--) {
		const earlier = entries[before];
		if (earlier === undefined || earlier.path.length !== 1) continue;
		return earlier.replayRefused?.message !== entry.replayRefused.message;
	}
	return true;
}
