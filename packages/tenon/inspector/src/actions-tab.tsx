import { useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { JsonView } from "./json-view.js";
import { visibleText } from "./visible-key.js";

/** The action console: pick an action, give JSON arguments (and conn params), see its result or error. */
export function ActionsTab({
	actorId,
	admin,
	actions,
}: {
	actorId: string;
	admin: boolean;
	actions: string[];
}) {
	const [action, setAction] = useState(actions[0] ?? "");
	const [args, setArgs] = useState("[]");
	const [params, setParams] = useState("");
	const [result, setResult] = useState<{ ok: boolean; value: unknown; ms?: number } | undefined>();
	const [running, setRunning] = useState(false);

	if (!admin) return <p className="muted">Running actions needs the admin token.</p>;
	const run = async () => {
		setRunning(true);
		try {
			const parsed = JSON.parse(args);
			const list = Array.isArray(parsed) ? parsed : [parsed];
			const answer = await api<{ output: unknown; elapsedMs: number }>(
				actorPath(actorId, `/actions/${encodeURIComponent(action)}`),
				{ method: "POST", body: { args: list }, params },
			);
			setResult({ ok: true, value: answer.output, ms: answer.elapsedMs });
		} catch (caught) {
			setResult({ ok: false, value: describeError(caught) });
		} finally {
			setRunning(false);
		}
	};
	return (
		<div className="stack">
			<h3>Action console</h3>
			<div className="form-grid">
				<label htmlFor="action-name">Action</label>
				<select
					id="action-name"
					value={action}
					onChange={(event) => setAction(event.target.value)}
					data-testid="action-name"
				>
					{actions.map((name) => (
						<option key={name}>{name}</option>
					))}
				</select>
				<label htmlFor="action-args">Arguments (JSON array)</label>
				<textarea
					id="action-args"
					className="code"
					rows={4}
					value={args}
					onChange={(event) => setArgs(event.target.value)}
					data-testid="action-args"
				/>
				<label htmlFor="action-params">Conn params (JSON, optional)</label>
				<input
					id="action-params"
					className="code"
					value={params}
					onChange={(event) => setParams(event.target.value)}
					placeholder='{"token": "..."}'
				/>
			</div>
			<p className="muted small">
				Runs like a client's HTTP action: the actor's connect hooks see these params.
			</p>
			<div className="row">
				<button
					type="button"
					className="primary"
					disabled={running || action === ""}
					onClick={() => void run()}
					data-testid="run-action"
				>
					{running ? "Running…" : "Run"}
				</button>
			</div>
			{result && (
				<div className={result.ok ? "result ok" : "result failed"} data-testid="action-result">
					<div className="small muted">{result.ok ? `returned in ${result.ms} ms` : "failed"}</div>
					{result.ok ? (
						<JsonView value={result.value} />
					) : (
						<pre className="json">{visibleText(String(result.value))}</pre>
					)}
				</div>
			)}
		</div>
	);
}
