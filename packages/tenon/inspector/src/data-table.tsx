import { visibleName, visibleText } from "./visible-key.js";

/** A plain table of rows; cells that are not strings or numbers are shown as JSON. */
export function DataTable({
	columns,
	rows,
	testId,
}: {
	columns: string[];
	rows: unknown[][];
	testId?: string;
}) {
	if (rows.length === 0) return <p className="muted">No rows.</p>;
	return (
		<div className="table-wrap">
			<table className="grid" data-testid={testId}>
				<thead>
					<tr>
						{columns.map((column) => (
							<th key={column}>{visibleName(column)}</th>
						))}
					</tr>
				</thead>
				<tbody>
					{rows.map((row, index) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own
						<tr key={index}>
							{row.map((cell, column) => (
								// biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
								<td key={column}>{formatCell(cell)}</td>
							))}
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}

function formatCell(cell: unknown): string {
	if (cell === null) return "NULL";
	if (typeof cell === "string" || typeof cell === "number" || typeof cell === "boolean")
		return visibleText(String(cell));
	return visibleText(JSON.stringify(cell));
}
