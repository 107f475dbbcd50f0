// The inspector's workflow replay, on the runtime's side: halt the actor's run
// provider, let it rewind its stored progress in a turn of its own (with the
// state restored in the same turn, when asked), then start it again. The
// provider decides what rewinding means (see RunProvider.rewind).

import { isRunProvider, type RunRewind } from "../actor/run-host.js";
import { ActorError } from "../protocol/errors.js";
import type { ActorParts } from "./actor-assembly.js";
import type { ActorRuns } from "./actor-run-start.js";
import { runStorageOf } from "./run-host.js";
import type { TurnOrigin } from "./turn-history.js";

/** What a replay asks for. */
export interface RewindRequest {
	/** Where the provider starts again (validated by it: untrusted). */
	point: unknown;
	/** The state to set in the same turn (a recorded turn's), or undefined to keep the state. */
	state?: { value: unknown };
	/** Who asked, for the turn history and the log. */
	origin: Extract<TurnOrigin, { kind: "inspector" }>;
}

/** Runs being replayed: a second replay of the same actor meanwhile is refused. */
const replaying = new WeakSet<ActorRuns>();

/**
 * Halts the actor's run provider, rewinds it and sets the state as one
 * durable turn, and starts the provider again (also when the rewind was
 * refused: a halted run resumes from its journal unchanged). Resolves with
 * what the provider did once the turn is durable.
 */
export function rewindRun(
	parts: ActorParts,
	runs: ActorRuns | undefined,
	provider: unknown,
	stopping: () => boolean,
	request: RewindRequest,
): Promise<RunRewind> {
	if (runs === undefined || !isRunProvider(provider) || provider.rewind === undefined)
		throw new ActorError(
			"inspector",
			"replay_unsupported",
			"This actor's run handler cannot be replayed (a workflow can)",
		);
	if (replaying.has(runs))
		throw new ActorError("inspector", "replay_busy", "A replay of this actor is under way");
	const rewind = provider.rewind.bind(provider);
	replaying.add(runs);
	const replay = async (): Promise<RunRewind> => {
		try {
			await runs.halt();
			return await parts.turns.gated("inspector workflow replay", () =>
				parts.activity.track(
					(async () => {
						const done = await rewind(runStorageOf(parts.writes), request.point);
						if (done.releases !== undefined)
							parts.queueIfMade?.leases.releaseMessages(done.releases);
						if (request.state !== undefined) parts.tracker.replace(request.state.value);
						parts.history?.audit({ ...request.origin, step: done.from });
						parts.afterTurn();
						return done;
					})(),
				),
			);
		} finally {
			replaying.delete(runs);
			if (!stopping()) runs.start();
		}
	};
	// Awake throughout: between the halt and the turn, nothing else holds the actor.
	return parts.activity.keepAwake(replay());
}
