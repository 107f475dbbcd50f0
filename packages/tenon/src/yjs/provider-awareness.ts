// The awareness a TenonYjsProvider makes for its document when it is given none, and what
// carries over from one such provider to the next on the same document.
import { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";

/**
 * The clock this client's awareness reached under each document's client id, kept from a
 * provider to the next: y-protocols ignores a state whose clock is not above the one its
 * peers saw, so a new provider's new Awareness (clock 0, same client id) went unseen until its
 * clock passed the old one's, a renewal every 15 s (a walkthrough, 2026-11-29: in React, a
 * token refresh made a user's cursor vanish for everyone for minutes).
 */
const lastClocks = new WeakMap<Y.Doc, number>();

/** An awareness for `doc` whose clock continues from the last provider's. */
export function continuedAwareness(doc: Y.Doc): Awareness {
	const awareness = new Awareness(doc);
	const last = lastClocks.get(doc);
	if (last !== undefined) {
		const meta = awareness.meta.get(doc.clientID);
		// Above the clock the peers saw last (the removal of this client's state by the last
		// provider): an equal clock with a state is ignored.
		awareness.meta.set(doc.clientID, {
			clock: last + 1,
			lastUpdated: meta?.lastUpdated ?? Date.now(),
		});
	}
	return awareness;
}

/**
 * Keeps the clock `awareness` reached (after this client's state was removed) for the next
 * provider of `doc`; destroys the awareness when the provider made it (its 3 s timer kept
 * running, and the document reachable, for as long as the document lived).
 */
export function releaseAwareness(doc: Y.Doc, awareness: Awareness, made: boolean): void {
	const clock = awareness.meta.get(doc.clientID)?.clock;
	if (clock !== undefined) lastClocks.set(doc, Math.max(clock, lastClocks.get(doc) ?? 0));
	if (made) awareness.destroy();
}
