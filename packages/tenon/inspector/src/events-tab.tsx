import { useState } from "react";
import { JsonView } from "./json-view.js";
import { StatusBadge } from "./status-badge.js";
import { useEventStream } from "./use-event-stream.js";
import { visibleName } from "./visible-key.js";

/** The events the actor broadcasts, live while this tab is open, newest first. */
export function EventsTab({ actorId }: { actorId: string }) {
	const { events, dropped, error, live, clear } = useEventStream(actorId);
	const [filter, setFilter] = useState("");
	const shown =
		filter === "" ? events : events.filter((event) => event.name.includes(filter.trim()));
	return (
		<div className="stack">
			<div className="row">
				<h3>Events</h3>
				<StatusBadge status={live ? "connected" : "detached"} label={live ? "live" : "offline"} />
				<span className="spacer" />
				<input
					placeholder="Filter by name"
					value={filter}
					onChange={(event) => setFilter(event.target.value)}
					data-testid="event-filter"
				/>
				<button type="button" onClick={clear}>
					Clear
				</button>
			</div>
			{error && <p className="error">{error}</p>}
			{dropped > 0 && (
				<p className="muted small">{dropped} events were sent faster than shown and skipped.</p>
			)}
			<p className="muted small">
				Events are recorded once sent (after their turn committed), only while an inspector follows
				this actor. Large values are cut.
			</p>
			{shown.length === 0 ? (
				<p className="muted">No events yet: they appear here as the actor broadcasts them.</p>
			) : (
				<div className="table-wrap">
					<table className="grid" data-testid="events">
						<thead>
							<tr>
								<th>#</th>
								<th>Sent</th>
								<th>Event</th>
								<th>Arguments</th>
								<th>Recipients</th>
							</tr>
						</thead>
						<tbody>
							{shown.map((event) => (
								<tr key={event.seq} data-event={event.name}>
									<td>{event.seq}</td>
									<td className="nowrap">{new Date(event.sentAt).toLocaleTimeString()}</td>
									<td>
										<code>{visibleName(event.name)}</code>
									</td>
									<td className="value-cell">
										<JsonView value={event.args} />
										{event.truncated && <span className="muted small">(cut)</span>}
									</td>
									<td>{event.recipients}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</div>
	);
}
