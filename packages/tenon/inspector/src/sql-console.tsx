import { useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { DataTable } from "./data-table.js";
import type { RowsPage } from "./types.js";

/** A read-only SQL console over the committed database (the server refuses writes). */
export function SqlConsole({ actorId }: { actorId: string }) {
	const [sql, setSql] = useState("SELECT * FROM sqlite_schema");
	const [result, setResult] = useState<RowsPage | undefined>(undefined);
	const [error, setError] = useState<string | undefined>(undefined);
	const run = async () => {
		setError(undefined);
		try {
			setResult(
				await api<RowsPage>(actorPath(actorId, "/db/query"), { method: "POST", body: { sql } }),
			);
		} catch (caught) {
			setResult(undefined);
			setError(describeError(caught));
		}
	};
	return (
		<div className="stack">
			<h3>SQL console</h3>
			<textarea
				className="code"
				rows={3}
				value={sql}
				onChange={(event) => setSql(event.target.value)}
				data-testid="sql"
			/>
			<div className="row">
				<button type="button" className="primary" onClick={() => void run()} data-testid="run-sql">
					Run query
				</button>
				<span className="muted small">read-only · one statement · at most 1,000 rows</span>
			</div>
			{error && (
				<p className="error" data-testid="sql-error">
					{error}
				</p>
			)}
			{result && (
				<>
					<DataTable columns={result.columns} rows={result.rows} testId="sql-rows" />
					<p className="muted small">
						{result.rows.length} row{result.rows.length === 1 ? "" : "s"}
						{result.truncated ? " (more not shown)" : ""} · {result.elapsedMs ?? 0} ms
					</p>
				</>
			)}
		</div>
	);
}
