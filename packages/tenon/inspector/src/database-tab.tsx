import { useState } from "react";
import { actorPath, api } from "./api.js";
import { DataTable } from "./data-table.js";
import { SqlConsole } from "./sql-console.js";
import type { DbTable, RowsPage } from "./types.js";
import { usePoll } from "./use-poll.js";
import { visibleName } from "./visible-key.js";

const PAGE = 50;

/** The actor's SQLite database: tables with their columns, pages of rows, and a read-only SQL console. */
export function DatabaseTab({ actorId }: { actorId: string }) {
	const schema = usePoll(
		() => api<{ isDatabaseEnabled: boolean; tables?: DbTable[] }>(actorPath(actorId, "/db/schema")),
		0,
		[actorId],
	);
	const [table, setTable] = useState<string | undefined>(undefined);
	const [offset, setOffset] = useState(0);
	const rows = usePoll(
		() =>
			table === undefined
				? Promise.resolve(undefined)
				: api<RowsPage>(
						actorPath(
							actorId,
							`/db/rows?${new URLSearchParams({ table, limit: String(PAGE), offset: String(offset) })}`,
						),
					),
		3_000,
		[actorId, table, offset],
	);
	if (schema.error) return <p className="error">{schema.error}</p>;
	if (!schema.data) return <p className="muted">Loading…</p>;
	if (!schema.data.isDatabaseEnabled) return <p className="muted">This actor has no database.</p>;
	const tables = schema.data.tables ?? [];
	const current = tables.find((candidate) => candidate.name === table);
	const total = rows.data?.total ?? 0;
	// A page stops short of PAGE rows past 16 MiB of values: the next page starts after the
	// rows shown, not PAGE rows on.
	const shown = rows.data?.rows.length ?? 0;
	return (
		<div className="stack">
			<div className="row wrap">
				<h3>Tables</h3>
				{tables.length === 0 && <span className="muted">none yet</span>}
				{tables.map((candidate) => (
					<button
						type="button"
						key={candidate.name}
						className={candidate.name === table ? "chip active" : "chip"}
						onClick={() => {
							setTable(candidate.name);
							setOffset(0);
						}}
						data-table={candidate.name}
					>
						{visibleName(candidate.name)}
						{candidate.type === "view" && <span className="muted small"> view</span>}
					</button>
				))}
			</div>
			{current && (
				<p className="muted small">
					{current.columns
						.map(
							(column) =>
								`${visibleName(column.name)} ${visibleName(column.type)}${column.primaryKey ? " PK" : ""}`,
						)
						.join(" · ")}
				</p>
			)}
			{rows.error && <p className="error">{rows.error}</p>}
			{rows.data && (
				<>
					<DataTable columns={rows.data.columns} rows={rows.data.rows} testId="db-rows" />
					<div className="row">
						<span className="muted small">
							{total === 0 || shown === 0
								? `0 rows of ${total}`
								: `${offset + 1}–${offset + shown} of ${total}${rows.data.truncated ? " (values past 16 MiB left for the next page)" : ""}`}
						</span>
						<span className="spacer" />
						<button
							type="button"
							disabled={offset === 0}
							onClick={() => setOffset(Math.max(0, offset - PAGE))}
						>
							Previous
						</button>
						<button
							type="button"
							disabled={shown === 0 || offset + shown >= total}
							onClick={() => setOffset(offset + shown)}
						>
							Next
						</button>
					</div>
				</>
			)}
			<SqlConsole actorId={actorId} />
		</div>
	);
}
