import { actorPath, api } from "./api.js";
import { JsonView } from "./json-view.js";
import type { QueueMessage } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName, visibleText } from "./visible-key.js";

function MessageTable({ messages, dead }: { messages: QueueMessage[]; dead: boolean }) {
	if (messages.length === 0) return <p className="muted">None.</p>;
	return (
		<div className="table-wrap">
			<table className="grid">
				<thead>
					<tr>
						<th>#</th>
						<th>Queue</th>
						<th>Body</th>
						<th>Deliveries</th>
						<th>{dead ? "Dead since" : "Sent"}</th>
						{dead && <th>Reason</th>}
					</tr>
				</thead>
				<tbody>
					{messages.map((message) => (
						<tr key={message.id}>
							<td>{message.id}</td>
							<td>{visibleName(message.name)}</td>
							<td>
								<JsonView value={message.body} />
								{message.cut && <p className="muted small">(a preview: the body is larger)</p>}
							</td>
							<td>{message.deliveries}</td>
							<td className="nowrap">
								{new Date(dead ? (message.deadAt ?? 0) : message.createdAt).toLocaleString()}
							</td>
							{dead && <td>{visibleText(message.reason ?? "")}</td>}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

/** Stored queue messages and dead letters. */
export function QueueTab({ actorId }: { actorId: string }) {
	const { data, error } = usePoll(
		() =>
			api<{
				messages: QueueMessage[];
				deadLetters: QueueMessage[];
				more?: { messages: boolean; deadLetters: boolean };
			}>(actorPath(actorId, "/queue")),
		2_000,
		[actorId],
	);
	if (error) return <p className="error">{error}</p>;
	if (!data) return <p className="muted">Loading…</p>;
	return (
		<div className="stack">
			<h3>
				Messages ({data.messages.length}
				{data.more?.messages ? ", the oldest: more wait" : ""})
			</h3>
			<MessageTable messages={data.messages} dead={false} />
			<h3>
				Dead letters ({data.deadLetters.length}
				{data.more?.deadLetters ? ", the oldest: there are more" : ""})
			</h3>
			<MessageTable messages={data.deadLetters} dead={true} />
		</div>
	);
}
