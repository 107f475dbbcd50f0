// The worker's users, and their use of it: who a verification's job is
// charged to, and how recent use ranks the waiting jobs (apply-verifier.ts).

/** A document's use of the worker halves every this many ms (who is served first). */
export const USAGE_HALF_LIFE_MS = 10_000;

/** Whose updates a job checks: a document with a mirror, or a one-off check. */
export interface Owner {
	/** The mirror's id on the worker; undefined for a one-off check. */
	doc: number | undefined;
	/** The worker generation holding this document's mirror (-1: none). */
	generation: number;
	/** Worker time used, ms, decaying (see {@link USAGE_HALF_LIFE_MS}), as of `usageAt`. */
	usage: number;
	usageAt: number;
	/**
	 * The worker checked an update of it before: ranked by its own use of the
	 * worker. Until then, by the newcomers' use, all of them together (see
	 * apply-verifier.ts).
	 */
	known: boolean;
}

export function newOwner(doc: number | undefined): Owner {
	return { doc, generation: -1, usage: 0, usageAt: 0, known: false };
}

/** The owner's decayed use of the worker, ms, at `now`. */
export function usageOf(owner: Owner, now: number): number {
	return owner.usage === 0 ? 0 : owner.usage * 0.5 ** ((now - owner.usageAt) / USAGE_HALF_LIFE_MS);
}

export function charge(owner: Owner, ms: number): void {
	const now = performance.now();
	owner.usage = usageOf(owner, now) + ms;
	owner.usageAt = now;
}
