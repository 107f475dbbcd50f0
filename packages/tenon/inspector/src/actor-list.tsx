import { useState } from "react";
import { api } from "./api.js";
import { CreateActorDialog } from "./create-actor-dialog.js";
import { StatusBadge } from "./status-badge.js";
import type { ActorSummary, Session } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleKey } from "./visible-key.js";

/** The sidebar: actors of every type (or one), searchable by name, key or id, with their status. */
export function ActorList({
	session,
	selected,
	onSelect,
}: {
	session: Session;
	selected: string | undefined;
	onSelect: (actorId: string) => void;
}) {
	const [query, setQuery] = useState("");
	const [type, setType] = useState("");
	const [creating, setCreating] = useState(false);
	// A search looks through up to 1,000 actors per type; the plain list shows the first 200.
	const params = new URLSearchParams({
		q: query,
		limit: query === "" ? "200" : "1000",
		...(type === "" ? {} : { name: type }),
	});
	const { data, error, reload } = usePoll(
		() => api<{ actors: ActorSummary[] }>(`actors?${params}`),
		2_000,
		// Also reloaded when the selection changes (an actor was created or destroyed).
		[query, type, selected],
	);
	return (
		<aside className="sidebar">
			<div className="sidebar-tools">
				<input
					type="search"
					placeholder="Search name, key or id"
					value={query}
					onChange={(event) => setQuery(event.target.value)}
					data-testid="search"
				/>
				<div className="row">
					<select value={type} onChange={(event) => setType(event.target.value)}>
						<option value="">All types</option>
						{session.actorNames.map((actor) => (
							<option key={actor.name} value={actor.name}>
								{actor.name}
							</option>
						))}
					</select>
					{session.role === "admin" && (
						<button type="button" onClick={() => setCreating(true)} data-testid="create-actor">
							New actor
						</button>
					)}
				</div>
			</div>
			{error && <p className="error">{error}</p>}
			<ul className="actor-list" data-testid="actor-list">
				{data?.actors.map((actor) => (
					<li key={actor.actorId}>
						<button
							type="button"
							className={actor.actorId === selected ? "actor selected" : "actor"}
							onClick={() => onSelect(actor.actorId)}
							data-actor-key={actor.key.join("/")}
							data-actor-name={actor.name}
						>
							<span className="actor-name">{actor.name}</span>
							<span className="actor-key">
								{actor.key.length ? visibleKey(actor.key) : <em className="no-key">no key</em>}
							</span>
							<span className="actor-status">
								<StatusBadge status={actor.status} />
								{actor.hibernatedConnections > 0 && (
									<StatusBadge
										status="hibernated"
										label={`${actor.hibernatedConnections} hibernated`}
									/>
								)}
							</span>
						</button>
					</li>
				))}
				{data?.actors.length === 0 && <li className="muted pad">No actors found.</li>}
			</ul>
			{creating && (
				<CreateActorDialog
					session={session}
					onClose={() => setCreating(false)}
					onCreated={(actorId) => {
						setCreating(false);
						reload();
						onSelect(actorId);
					}}
				/>
			)}
		</aside>
	);
}
