import { useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { FireTime } from "./fire-time.js";
import { JsonView } from "./json-view.js";
import { StatusBadge } from "./status-badge.js";
import type { JobView, ScheduleView, TimerView } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName, visibleText } from "./visible-key.js";

function every(ms: number): string {
	if (ms % 3_600_000 === 0) return `every ${ms / 3_600_000} h`;
	if (ms % 60_000 === 0) return `every ${ms / 60_000} min`;
	return `every ${ms / 1_000} s`;
}

function JobRow({ job, now }: { job: JobView; now: number }) {
	const last = job.lastRuns[0];
	return (
		<tr data-job={job.name}>
			<td>{visibleName(job.name)}</td>
			<td className="nowrap">
				{job.kind === "cron" ? (
					<code>{job.expression}</code>
				) : (
					<span>{every(job.interval ?? 0)}</span>
				)}
				{job.timezone && <span className="muted small"> {job.timezone}</span>}
			</td>
			<td>
				<code>{job.action}</code>
			</td>
			<td className="value-cell">
				<JsonView value={job.args} />
			</td>
			<td>
				<FireTime at={job.nextAt} now={now} />
			</td>
			<td className="nowrap">
				{last === undefined ? (
					<span className="muted">never</span>
				) : (
					<span title={last.error === undefined ? undefined : visibleText(last.error)}>
						<StatusBadge
							status={last.ok ? "completed" : "failed"}
							label={last.ok ? "ok" : "failed"}
						/>{" "}
						<span className="muted small">{new Date(last.firedAt).toLocaleString()}</span>
					</span>
				)}
			</td>
		</tr>
	);
}

/** Pending one-shot timers and cron jobs with their next fire times; admins cancel timers. */
export function SchedulesTab({ actorId, admin }: { actorId: string; admin: boolean }) {
	const { data, error, reload } = usePoll(
		() => api<ScheduleView>(actorPath(actorId, "/schedules")),
		2_000,
		[actorId],
	);
	const [cancelling, setCancelling] = useState<TimerView | undefined>(undefined);
	const [actionError, setActionError] = useState<string | undefined>(undefined);

	const cancel = async (timer: TimerView) => {
		setCancelling(undefined);
		try {
			await api(actorPath(actorId, `/schedules/timers/${encodeURIComponent(timer.id)}`), {
				method: "DELETE",
			});
			setActionError(undefined);
		} catch (caught) {
			setActionError(describeError(caught));
		}
		reload();
	};

	if (error && !data) return <p className="error">{error}</p>;
	if (!data) return <p className="muted">Loading…</p>;
	return (
		<div className="stack">
			{actionError && <p className="error">{actionError}</p>}
			<h3>Timers ({data.timers.length})</h3>
			{data.timers.length === 0 ? (
				<p className="muted">No pending timers.</p>
			) : (
				<div className="table-wrap">
					<table className="grid" data-testid="timers">
						<thead>
							<tr>
								<th>#</th>
								<th>Action</th>
								<th>Arguments</th>
								<th>Fires</th>
								<th>Scheduled</th>
								{admin && <th />}
							</tr>
						</thead>
						<tbody>
							{data.timers.map((timer) => (
								<tr key={timer.id} data-timer={timer.id}>
									<td>{timer.id}</td>
									<td>
										<code>{timer.action}</code>
									</td>
									<td className="value-cell">
										<JsonView value={timer.args} />
									</td>
									<td>
										<FireTime at={timer.at} now={data.now} />
									</td>
									<td className="nowrap muted small">
										{new Date(timer.createdAt).toLocaleString()}
									</td>
									{admin && (
										<td>
											<button
												type="button"
												className="danger"
												onClick={() => setCancelling(timer)}
												data-testid="cancel-timer"
											>
												Cancel
											</button>
										</td>
									)}
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
			<h3>Jobs ({data.jobs.length})</h3>
			{data.jobs.length === 0 ? (
				<p className="muted">No cron or interval jobs.</p>
			) : (
				<div className="table-wrap">
					<table className="grid" data-testid="jobs">
						<thead>
							<tr>
								<th>Name</th>
								<th>Schedule</th>
								<th>Action</th>
								<th>Arguments</th>
								<th>Next run</th>
								<th>Last run</th>
							</tr>
						</thead>
						<tbody>
							{data.jobs.map((job) => (
								<JobRow key={job.name} job={job} now={data.now} />
							))}
						</tbody>
					</table>
				</div>
			)}
			<p className="muted small">
				Times are relative to the server's clock ({new Date(data.now).toLocaleString()}).
			</p>
			{cancelling && (
				<ConfirmDialog
					title={`Cancel timer ${cancelling.id}?`}
					message={`'${cancelling.action}' will not run at ${new Date(cancelling.at).toLocaleString()}. The timer is removed in a turn of the actor (waking it), like c.schedule.cancel.`}
					confirmLabel="Cancel timer"
					cancelLabel="Keep it"
					onConfirm={() => void cancel(cancelling)}
					onCancel={() => setCancelling(undefined)}
				/>
			)}
		</div>
	);
}
