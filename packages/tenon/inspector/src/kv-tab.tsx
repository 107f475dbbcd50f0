import { useState } from "react";
import { actorPath, api } from "./api.js";
import type { KvEntry } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName, visibleText } from "./visible-key.js";

/** The actor's KV store (`c.kv`), by key prefix. */
export function KvTab({ actorId }: { actorId: string }) {
	const [prefix, setPrefix] = useState("");
	const { data, error } = usePoll(
		() =>
			api<{ entries: KvEntry[]; partial?: true }>(
				actorPath(actorId, `/kv?${new URLSearchParams({ prefix, limit: "200" })}`),
			),
		3_000,
		[actorId, prefix],
	);
	return (
		<div className="stack">
			<div className="row">
				<h3>KV</h3>
				<input
					type="search"
					placeholder="Key prefix"
					value={prefix}
					onChange={(event) => setPrefix(event.target.value)}
				/>
			</div>
			{error && <p className="error">{error}</p>}
			{data && data.entries.length === 0 && <p className="muted">No entries.</p>}
			{data?.partial && (
				<p className="muted" data-testid="kv-partial">
					The first {data.entries.length} entries: the page stopped after 16 MiB of values. Narrow
					the prefix to see the rest.
				</p>
			)}
			{data && data.entries.length > 0 && (
				<div className="table-wrap">
					<table className="grid" data-testid="kv">
						<thead>
							<tr>
								<th>Key</th>
								<th>Value</th>
								<th>Bytes</th>
							</tr>
						</thead>
						<tbody>
							{data.entries.map((entry) => (
								<tr key={`${entry.keyEncoding}:${entry.key}`}>
									<td>
										<code>{visibleName(entry.key)}</code>
										{entry.keyEncoding === "hex" && <span className="muted small"> hex</span>}
									</td>
									<td className="wrap">
										{entry.truncated && (
											<div className="muted small">first 4 KiB of {entry.size} bytes:</div>
										)}
										{visibleText(entry.value)}
										{entry.truncated && <span className="muted small"> …</span>}
										{entry.valueEncoding === "hex" && <span className="muted small"> hex</span>}
									</td>
									<td>{entry.size}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</div>
	);
}
