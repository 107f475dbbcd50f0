import { useEffect, useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { describeOrigin } from "./describe-origin.js";
import { JsonView } from "./json-view.js";
import { StateDiff } from "./state-diff.js";
import type { TurnRecord } from "./types.js";
import { usePoll } from "./use-poll.js";

/** Time travel: the recorded turns, a slider over them, the state each left, and restore. */
export function HistoryTab({
	actorId,
	admin,
	retention,
}: {
	actorId: string;
	admin: boolean;
	retention: number;
}) {
	const { data, error, reload } = usePoll(
		() => api<{ retention: number; turns: TurnRecord[] }>(actorPath(actorId, "/history")),
		1_500,
		[actorId],
	);
	const turns = data?.turns ?? [];
	const [index, setIndex] = useState<number | undefined>(undefined);
	const [following, setFollowing] = useState(true);
	const [confirming, setConfirming] = useState(false);
	const [restoreError, setRestoreError] = useState<string | undefined>(undefined);
	useEffect(() => {
		if (following && turns.length > 0) setIndex(turns.length - 1);
	}, [following, turns.length]);

	if (retention === 0)
		return (
			<p className="muted">
				Time travel is off for this actor type. Set the <code>turnHistory</code> actor option (or
				the registry's <code>inspector.turnHistory</code>) to the number of turns to keep.
			</p>
		);
	if (error) return <p className="error">{error}</p>;
	if (!data) return <p className="muted">Loading…</p>;
	if (turns.length === 0) return <p className="muted">No turns recorded yet.</p>;
	const at = Math.min(index ?? turns.length - 1, turns.length - 1);
	const turn = turns[at] as TurnRecord;
	const previous = at > 0 ? turns[at - 1] : undefined;

	const restore = async () => {
		setConfirming(false);
		setRestoreError(undefined);
		try {
			await api(actorPath(actorId, `/history/${turn.seq}/restore`), { method: "POST", body: {} });
			setFollowing(true);
			reload();
		} catch (caught) {
			setRestoreError(describeError(caught));
		}
	};

	return (
		<div className="history">
			<div className="stack">
				<div className="row">
					<h3>Turn {turn.seq}</h3>
					<span className="muted small">
						{at + 1} of {turns.length} kept (retention {data.retention})
					</span>
					<span className="spacer" />
					{admin && at < turns.length - 1 && (
						<button
							type="button"
							className="primary"
							onClick={() => setConfirming(true)}
							data-testid="restore"
						>
							Restore to this turn
						</button>
					)}
				</div>
				<input
					type="range"
					min={0}
					max={turns.length - 1}
					value={at}
					onChange={(event) => {
						setFollowing(Number(event.target.value) === turns.length - 1);
						setIndex(Number(event.target.value));
					}}
					data-testid="time-slider"
					aria-label="Turn"
				/>
				<p className="small">
					{new Date(turn.at).toLocaleString()} · {turn.origins.map(describeOrigin).join(", ")}
				</p>
				{restoreError && <p className="error">{restoreError}</p>}
				{turn.stateOmitted ? (
					<p className="muted">The state after this turn was too large to keep.</p>
				) : (
					<>
						{previous && !previous.stateOmitted && (
							<StateDiff before={previous.state} after={turn.state} />
						)}
						<JsonView value={turn.state} testId="history-state" />
					</>
				)}
			</div>
			<ol className="turns" data-testid="turns">
				{turns
					.map((record, position) => ({ record, position }))
					.reverse()
					.map(({ record, position }) => (
						<li key={record.seq}>
							<button
								type="button"
								className={position === at ? "turn selected" : "turn"}
								onClick={() => {
									setFollowing(position === turns.length - 1);
									setIndex(position);
								}}
								data-seq={record.seq}
							>
								<span className="turn-seq">#{record.seq}</span>
								<span className="turn-origin">{record.origins.map(describeOrigin).join(", ")}</span>
								<span className="muted small">{new Date(record.at).toLocaleTimeString()}</span>
							</button>
						</li>
					))}
			</ol>
			{confirming && (
				<ConfirmDialog
					title={`Restore to turn ${turn.seq}?`}
					message="The actor's state is replaced by the state this turn left, in a new turn (recorded and logged). Other data (KV, queues, database) is not changed."
					confirmLabel="Restore"
					onConfirm={() => void restore()}
					onCancel={() => setConfirming(false)}
				/>
			)}
		</div>
	);
}
