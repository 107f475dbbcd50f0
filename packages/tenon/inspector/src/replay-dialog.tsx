import { useEffect, useRef, useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { describeOrigin } from "./describe-origin.js";
import type { TurnSummary } from "./types.js";
import { visibleName } from "./visible-key.js";

/** A top-level journal entry a replay can start from. */
export interface ReplayTarget {
	path: number[];
	location: string;
	createdAt?: number;
}

/**
 * The turn whose state the step found: the newest recorded turn committed no
 * later than the step started that is not the step's own. A guess the
 * operator sees and may change (turns committed in the same millisecond or
 * grouped into one commit cannot be told apart).
 */
export function suggestTurn(turns: TurnSummary[], target: ReplayTarget): TurnSummary | undefined {
	const startedAt = target.createdAt;
	if (startedAt === undefined) return undefined;
	const ownTurn = (turn: TurnSummary) =>
		turn.origins.some((origin) => origin.kind === "workflow" && origin.step === target.location);
	return turns
		.filter((turn) => turn.at <= startedAt && !ownTurn(turn) && !turn.stateOmitted)
		.at(-1);
}

/**
 * Confirms a workflow replay from `target`: which recorded state to set
 * with it (the suggested turn, another one, or the current state), then
 * asks the server to halt the workflow, cut its journal there and restart it.
 */
export function ReplayDialog({
	actorId,
	target,
	retention,
	onDone,
	onCancel,
}: {
	actorId: string;
	target: ReplayTarget;
	retention: number;
	onDone: (message: string) => void;
	onCancel: () => void;
}) {
	const dialog = useRef<HTMLDialogElement>(null);
	const [turns, setTurns] = useState<TurnSummary[] | undefined>(retention > 0 ? undefined : []);
	const [choice, setChoice] = useState<string>("keep");
	const [error, setError] = useState<string | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	useEffect(() => {
		dialog.current?.showModal();
	}, []);
	useEffect(() => {
		if (retention === 0) return;
		let live = true;
		api<{ turns: TurnSummary[] }>(actorPath(actorId, "/history")).then(
			({ turns: recorded }) => {
				if (!live) return;
				setTurns(recorded);
				const suggested = suggestTurn(recorded, target);
				if (suggested) setChoice(String(suggested.seq));
			},
			(caught) => live && setError(describeError(caught)),
		);
		return () => {
			live = false;
		};
	}, [actorId, retention, target]);

	const replay = async () => {
		setBusy(true);
		setError(undefined);
		try {
			const body: { path: number[]; restoreSeq?: number } = { path: target.path };
			if (choice !== "keep") body.restoreSeq = Number(choice);
			const done = await api<{ from: string; removed: number }>(
				actorPath(actorId, "/workflow/replay"),
				{ method: "POST", body },
			);
			onDone(`Replaying from ${done.from}: ${done.removed} journal entries removed`);
		} catch (caught) {
			setError(describeError(caught));
			setBusy(false);
		}
	};

	const suggested = turns && suggestTurn(turns, target);
	return (
		<dialog ref={dialog} className="dialog" onCancel={onCancel} data-testid="replay-dialog">
			<h3>Replay the workflow from {visibleName(target.location)}?</h3>
			<p>
				The workflow is halted (a step in flight finishes first), its journal from{" "}
				<strong>{visibleName(target.location)}</strong> on is removed, and it starts again: earlier
				steps return their recorded results, this one and those after it run again. KV, queue and
				database changes they made are not undone; steps should be safe to run twice.
			</p>
			<label className="stack small">
				State to run with
				<select
					value={choice}
					onChange={(event) => setChoice(event.target.value)}
					data-testid="replay-state"
					disabled={turns === undefined}
				>
					<option value="keep">Keep the current state</option>
					{(turns ?? [])
						.filter((turn) => !turn.stateOmitted)
						.map((turn) => (
							<option key={turn.seq} value={String(turn.seq)}>
								{`#${turn.seq}${turn === suggested ? " (before this step)" : ""} · ${new Date(turn.at).toLocaleTimeString()} · ${turn.origins.map(describeOrigin).join(", ")}`}
							</option>
						))}
				</select>
			</label>
			{retention === 0 && (
				<p className="muted small">
					Time travel is off for this actor type: the state cannot be set back with the replay.
				</p>
			)}
			{error && <p className="error">{error}</p>}
			<div className="row end">
				<button type="button" onClick={onCancel}>
					Cancel
				</button>
				<button
					type="button"
					className="danger"
					onClick={() => void replay()}
					disabled={busy || turns === undefined}
					data-testid="replay-confirm"
				>
					Replay
				</button>
			</div>
		</dialog>
	);
}
