import { useState } from "react";
import { actorPath, api } from "./api.js";
import { JsonView } from "./json-view.js";
import { ReplayDialog, type ReplayTarget } from "./replay-dialog.js";
import { firstRefusal } from "./replay-refusals.js";
import { StatusBadge } from "./status-badge.js";
import type { WorkflowEntry } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName } from "./visible-key.js";

interface WorkflowHistory {
	status: string;
	output?: unknown;
	error?: unknown;
	entries: (WorkflowEntry & {
		location: string;
		path: number[];
		createdAt?: number;
		completedAt?: number;
		deadline?: number;
		rolledBackAt?: number;
		rollingBack?: boolean;
		rollbackError?: unknown;
		replayRefused?: { reason: string; message: string };
		/** The output shown is a preview (the server cuts large ones). */
		outputCut?: boolean;
	})[];
}

/** A journaled error (`{ name, message, stack, metadata }`) as text to read, not a JSON string. */
function ErrorText({ error }: { error: unknown }) {
	if (typeof error !== "object" || error === null) return <JsonView value={error} />;
	const { name, message, stack, ...rest } = error as {
		name?: unknown;
		message?: unknown;
		stack?: unknown;
	};
	const head = `${typeof name === "string" ? name : "Error"}: ${typeof message === "string" ? message : JSON.stringify(message)}`;
	// The stack's first line repeats name and message.
	const frames =
		typeof stack === "string" && stack.startsWith(head) ? stack.slice(head.length) : stack;
	return (
		<div className="error-text">
			<pre className="json">
				{head}
				{typeof frames === "string" && frames.trim() !== "" ? frames : ""}
			</pre>
			{Object.keys(rest).length > 0 && <JsonView value={rest} />}
		</div>
	);
}

/**
 * The workflow's journal: each step, its status, attempts, output or error;
 * for the admin, a replay from any top-level entry.
 */
export function WorkflowTab({
	actorId,
	admin,
	retention,
}: {
	actorId: string;
	admin: boolean;
	retention: number;
}) {
	const [replaying, setReplaying] = useState<ReplayTarget | undefined>(undefined);
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const { data, error, reload } = usePoll(
		() =>
			api<{ isWorkflowEnabled: boolean; history: WorkflowHistory | null }>(
				actorPath(actorId, "/workflow"),
			),
		2_000,
		[actorId],
	);
	if (error) return <p className="error">{error}</p>;
	if (!data) return <p className="muted">Loading…</p>;
	if (!data.isWorkflowEnabled || data.history === null)
		return <p className="muted">This actor does not run a workflow.</p>;
	const history = data.history;
	return (
		<div className="stack">
			<div className="row">
				<h3>Workflow</h3>
				<StatusBadge status={history.status} />
			</div>
			{history.error !== undefined && <ErrorText error={history.error} />}
			{notice && (
				<p className="small" data-testid="replay-notice">
					{notice}
				</p>
			)}
			<ol className="steps" data-testid="workflow-steps">
				{history.entries.map((entry, index) => (
					<li key={entry.location} className="step" data-step={entry.name}>
						<div className="row">
							<StatusBadge status={entry.status ?? "pending"} />
							{entry.rolledBackAt !== undefined && (
								<StatusBadge status="compensated" label="compensated" />
							)}
							{entry.rolledBackAt === undefined && entry.rollingBack === true && (
								<StatusBadge status="retrying" label="compensating" />
							)}
							{entry.rollbackError !== undefined && (
								<StatusBadge status="failed" label="compensation failed" />
							)}
							<strong>{visibleName(entry.location)}</strong>
							<span className="muted small">{entry.kind}</span>
							{entry.attempts !== undefined && entry.attempts > 1 && (
								<span className="muted small">{entry.attempts} attempts</span>
							)}
							<span className="spacer" />
							{entry.completedAt === undefined && entry.deadline !== undefined && (
								<span className="muted small">
									until {new Date(entry.deadline).toLocaleString()}
								</span>
							)}
							{entry.completedAt !== undefined && (
								<span className="muted small">
									{new Date(entry.completedAt).toLocaleTimeString()}
								</span>
							)}
							{admin && entry.path.length === 1 && (
								<button
									type="button"
									className="small"
									onClick={() => setReplaying(entry)}
									disabled={entry.replayRefused !== undefined}
									title={entry.replayRefused?.message}
									data-testid="replay-from"
								>
									Replay from here
								</button>
							)}
						</div>
						{admin && firstRefusal(history.entries, index) && (
							<p className="muted small" data-testid="replay-refused">
								No replay from here: {entry.replayRefused?.message}
							</p>
						)}
						{entry.output !== undefined && <JsonView value={entry.output} />}
						{entry.outputCut && <p className="muted small">(a preview: the output is larger)</p>}
						{entry.error !== undefined && <ErrorText error={entry.error} />}
						{entry.rollbackError !== undefined && <ErrorText error={entry.rollbackError} />}
					</li>
				))}
			</ol>
			{replaying && (
				<ReplayDialog
					actorId={actorId}
					target={replaying}
					retention={retention}
					onDone={(message) => {
						setReplaying(undefined);
						setNotice(message);
						reload();
					}}
					onCancel={() => setReplaying(undefined)}
				/>
			)}
		</div>
	);
}
