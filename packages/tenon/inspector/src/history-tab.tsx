import { useEffect, useRef, useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { describeOrigin } from "./describe-origin.js";
import { JsonView } from "./json-view.js";
import { StateDiff } from "./state-diff.js";
import type { TurnRecord, TurnSummary } from "./types.js";
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
	// The list without states (a few KB); the states of the turn shown and the one before
	// it are fetched when they are shown, and kept.
	const { data, error, reload } = usePoll(
		() => api<{ retention: number; turns: TurnSummary[] }>(actorPath(actorId, "/history")),
		1_500,
		[actorId],
	);
	const turns = data?.turns ?? [];
	const [index, setIndex] = useState<number | undefined>(undefined);
	const [following, setFollowing] = useState(true);
	const [confirming, setConfirming] = useState(false);
	const [restoreError, setRestoreError] = useState<string | undefined>(undefined);
	/** Fetched turns, by `${actorId}:${seq}`. */
	const records = useRef(new Map<string, TurnRecord>());
	const [, setLoaded] = useState(0);
	/** Why the shown turn's state could not be read (it was trimmed meanwhile, say). */
	const [turnError, setTurnError] = useState<string | undefined>(undefined);
	useEffect(() => {
		if (following && turns.length > 0) setIndex(turns.length - 1);
	}, [following, turns.length]);
	const shownAt = turns.length === 0 ? -1 : Math.min(index ?? turns.length - 1, turns.length - 1);
	const shownSeq = turns[shownAt]?.seq;
	const beforeSeq = shownAt > 0 ? turns[shownAt - 1]?.seq : undefined;
	useEffect(() => {
		let live = true;
		setTurnError(undefined);
		for (const seq of [shownSeq, beforeSeq]) {
			if (seq === undefined || records.current.has(`${actorId}:${seq}`)) continue;
			api<TurnRecord>(actorPath(actorId, `/history/${seq}`)).then(
				(record) => {
					if (!live) return;
					records.current.set(`${actorId}:${seq}`, record);
					setLoaded((n) => n + 1);
				},
				(caught) => {
					if (live && seq === shownSeq) setTurnError(describeError(caught));
				},
			);
		}
		return () => {
			live = false;
		};
	}, [actorId, shownSeq, beforeSeq]);

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
	const at = shownAt;
	const turn = turns[at] as TurnSummary;
	const shown = records.current.get(`${actorId}:${turn.seq}`);
	const previous =
		at > 0 ? records.current.get(`${actorId}:${(turns[at - 1] as TurnSummary).seq}`) : undefined;

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
				) : shown === undefined ? (
					<p className={turnError === undefined ? "muted" : "error"}>{turnError ?? "Loading…"}</p>
				) : (
					<>
						{previous && !previous.stateOmitted && (
							<StateDiff before={previous.state} after={shown.state} />
						)}
						<JsonView value={shown.state} testId="history-state" />
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
