import { useState } from "react";
import { ActionsTab } from "./actions-tab.js";
import { actorPath, api, describeError } from "./api.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { ConnectionsTab } from "./connections-tab.js";
import { DatabaseTab } from "./database-tab.js";
import { ErrorBoundary } from "./error-boundary.js";
import { EventsTab } from "./events-tab.js";
import { HistoryTab } from "./history-tab.js";
import { KvTab } from "./kv-tab.js";
import { QueueTab } from "./queue-tab.js";
import { SchedulesTab } from "./schedules-tab.js";
import { StateTab } from "./state-tab.js";
import { StatusBadge } from "./status-badge.js";
import type { ActorSummary, Session } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleKey } from "./visible-key.js";
import { WorkflowTab } from "./workflow-tab.js";

const TABS = [
	"State",
	"Actions",
	"Connections",
	"Queue",
	"KV",
	"Database",
	"Schedules",
	"Events",
	"Workflow",
	"History",
] as const;
type Tab = (typeof TABS)[number];

/** One actor: its identity and status, and a tab per view. */
export function ActorView({
	actorId,
	session,
	onDestroyed,
}: {
	actorId: string;
	session: Session;
	onDestroyed: () => void;
}) {
	const [tab, setTab] = useState<Tab>("State");
	const [confirming, setConfirming] = useState(false);
	const [error, setError] = useState<string | undefined>(undefined);
	const { data, error: loadError } = usePoll(
		() => api<{ actor: ActorSummary }>(actorPath(actorId)),
		2_000,
		[actorId],
	);
	const actor = data?.actor;
	const type = session.actorNames.find((candidate) => candidate.name === actor?.name);
	const admin = session.role === "admin";

	const destroy = async () => {
		setConfirming(false);
		try {
			await api(actorPath(actorId), { method: "DELETE" });
			onDestroyed();
		} catch (caught) {
			setError(describeError(caught));
		}
	};

	if (loadError && actor === undefined) return <p className="error pad">{loadError}</p>;
	if (actor === undefined) return <p className="muted pad">Loading…</p>;
	return (
		<div className="actor-view">
			<div className="actor-header">
				<div>
					<h2 data-testid="actor-title">
						{actor.name}{" "}
						<span className="muted key-text">
							/ {actor.key.length ? visibleKey(actor.key) : <em className="no-key">no key</em>}
						</span>
					</h2>
					<div className="meta">
						<code>{actor.actorId}</code>
						<span>created {new Date(actor.createdAt).toLocaleString()}</span>
						<StatusBadge status={actor.status} />
						<span>
							{actor.connections} socket{actor.connections === 1 ? "" : "s"}
							{actor.hibernatedConnections > 0
								? ` (${actor.hibernatedConnections} hibernated)`
								: ""}
						</span>
					</div>
				</div>
				{admin && (
					<button
						type="button"
						className="danger"
						onClick={() => setConfirming(true)}
						data-testid="destroy"
					>
						Destroy
					</button>
				)}
			</div>
			{error && <p className="error">{error}</p>}
			<div className="tabs" role="tablist">
				{TABS.map((name) => (
					<button
						type="button"
						role="tab"
						key={name}
						aria-selected={tab === name}
						className={tab === name ? "tab active" : "tab"}
						onClick={() => setTab(name)}
						data-tab={name}
					>
						{name}
					</button>
				))}
			</div>
			<section className="tab-body">
				<ErrorBoundary key={`${actorId}/${tab}`}>
					{tab === "State" && <StateTab actorId={actorId} admin={admin} />}
					{tab === "Actions" && (
						<ActionsTab actorId={actorId} admin={admin} actions={type?.actions ?? []} />
					)}
					{tab === "Connections" && <ConnectionsTab actorId={actorId} />}
					{tab === "Queue" && <QueueTab actorId={actorId} />}
					{tab === "KV" && <KvTab actorId={actorId} />}
					{tab === "Database" && <DatabaseTab actorId={actorId} />}
					{tab === "Schedules" && <SchedulesTab actorId={actorId} admin={admin} />}
					{tab === "Events" && <EventsTab actorId={actorId} />}
					{tab === "Workflow" && (
						<WorkflowTab actorId={actorId} admin={admin} retention={type?.turnHistory ?? 0} />
					)}
					{tab === "History" && (
						<HistoryTab actorId={actorId} admin={admin} retention={type?.turnHistory ?? 0} />
					)}
				</ErrorBoundary>
			</section>
			{confirming && (
				<ConfirmDialog
					title="Destroy this actor?"
					message={`${actor.name} / ${visibleKey(actor.key)} (id ${actorId}) and all its data (state, KV, queues, database) will be deleted. This cannot be undone.`}
					confirmLabel="Destroy"
					onConfirm={() => void destroy()}
					onCancel={() => setConfirming(false)}
				/>
			)}
		</div>
	);
}
