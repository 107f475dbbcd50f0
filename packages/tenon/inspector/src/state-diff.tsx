import { visibleName } from "./visible-key.js";

/** Which top-level keys a turn added, changed or removed (for object state), or that the value changed. */
export function StateDiff({ before, after }: { before: unknown; after: unknown }) {
	const isObject = (value: unknown): value is Record<string, unknown> =>
		typeof value === "object" && value !== null && !Array.isArray(value);
	const lines: { key: string; change: "added" | "changed" | "removed" }[] = [];
	if (isObject(before) && isObject(after)) {
		for (const key of Object.keys(after)) {
			if (!Object.hasOwn(before, key)) lines.push({ key, change: "added" });
			else if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
				lines.push({ key, change: "changed" });
		}
		for (const key of Object.keys(before))
			if (!Object.hasOwn(after, key)) lines.push({ key, change: "removed" });
	} else if (JSON.stringify(before) !== JSON.stringify(after)) {
		lines.push({ key: "(state)", change: "changed" });
	}
	if (lines.length === 0) return <p className="muted small">No change from the turn before.</p>;
	return (
		<ul className="diff" data-testid="state-diff">
			{lines.map((line) => (
				<li key={line.key} data-change={line.change}>
					<span className="diff-mark">
						{line.change === "added" ? "+" : line.change === "removed" ? "−" : "~"}
					</span>
					<code>{visibleName(line.key)}</code> <span className="muted small">{line.change}</span>
				</li>
			))}
		</ul>
	);
}
