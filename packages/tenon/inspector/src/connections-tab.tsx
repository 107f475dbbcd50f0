import { actorPath, api } from "./api.js";
import { JsonView } from "./json-view.js";
import { StatusBadge } from "./status-badge.js";
import type { Connection } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName } from "./visible-key.js";

/** Stored connections: where each socket is, its params, conn state and subscriptions. */
export function ConnectionsTab({ actorId }: { actorId: string }) {
	const { data, error } = usePoll(
		() =>
			api<{ connections: Connection[]; more?: boolean; total?: number }>(
				actorPath(actorId, "/connections"),
			),
		2_000,
		[actorId],
	);
	if (error) return <p className="error">{error}</p>;
	if (!data) return <p className="muted">Loading…</p>;
	if (data.connections.length === 0) return <p className="muted">No connections.</p>;
	return (
		<div className="table-wrap">
			{data.more && (
				<p className="muted small">
					The first {data.connections.length} of {data.total} connections.
				</p>
			)}
			<table className="grid" data-testid="connections">
				<thead>
					<tr>
						<th>Id</th>
						<th>Status</th>
						<th>Params</th>
						<th>Conn state</th>
						<th>Subscriptions</th>
						<th>Since</th>
					</tr>
				</thead>
				<tbody>
					{data.connections.map((conn) => (
						<tr key={conn.id}>
							<td>
								<code>{conn.id.slice(0, 10)}</code> <span className="muted small">{conn.kind}</span>
							</td>
							<td>
								<StatusBadge status={conn.status} />
							</td>
							<td>
								{conn.params === undefined ? (
									<span className="muted">none</span>
								) : (
									<JsonView value={conn.params} />
								)}
							</td>
							<td>
								<JsonView value={conn.state} />
								{conn.stateCut && <p className="muted small">(a preview: the state is larger)</p>}
							</td>
							<td>
								{conn.subscriptions.map(visibleName).join(", ") || (
									<span className="muted">none</span>
								)}
							</td>
							<td className="nowrap">{new Date(conn.createdAt).toLocaleTimeString()}</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}
