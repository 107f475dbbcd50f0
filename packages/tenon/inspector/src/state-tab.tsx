import { useState } from "react";
import { actorPath, api, describeError } from "./api.js";
import { boundedJson, JsonView } from "./json-view.js";
import { useStateStream } from "./use-state-stream.js";

/** The committed state, refreshed as turns commit; admins can replace it (an audited turn). */
export function StateTab({ actorId, admin }: { actorId: string; admin: boolean }) {
	const [generation, setGeneration] = useState(0);
	const { data, error, live } = useStateStream(actorId, generation);
	const [draft, setDraft] = useState<string | undefined>(undefined);
	const [saveError, setSaveError] = useState<string | undefined>(undefined);
	const [editRefused, setEditRefused] = useState<string | undefined>(undefined);

	const save = async () => {
		setSaveError(undefined);
		try {
			const state = JSON.parse(draft ?? "null");
			await api(actorPath(actorId, "/state"), { method: "PUT", body: { state } });
			setDraft(undefined);
			setGeneration((n) => n + 1);
		} catch (caught) {
			setSaveError(describeError(caught));
		}
	};

	return (
		<div className="stack">
			<div className="row">
				<h3>State</h3>
				<span className="muted small" data-testid="stream-status">
					committed · {live ? "live" : "reconnecting…"}
				</span>
				<span className="spacer" />
				{/* An actor never called has no state to edit yet (its createState makes it on wake). */}
				{admin && draft === undefined && data?.initialized === true && (
					<button
						type="button"
						onClick={() => {
							// A state too large to edit as text here froze or broke the page (a probe).
							setEditRefused(undefined);
							const { text, cut } = boundedJson(data?.state ?? null);
							if (cut)
								setEditRefused(
									"This state is too large or deep to edit here: change it with an action.",
								);
							else setDraft(text);
						}}
						data-testid="edit-state"
					>
						Edit
					</button>
				)}
			</div>
			{error && <p className="error">{error}</p>}
			{editRefused && draft === undefined && (
				<p className="error" data-testid="edit-refused">
					{editRefused}
				</p>
			)}
			{draft === undefined ? (
				data &&
				(data.initialized ? (
					<JsonView value={data.state} testId="state" />
				) : (
					<p className="muted">Not initialized yet: its state is made when it is first called.</p>
				))
			) : (
				<>
					<textarea
						className="code"
						rows={14}
						value={draft}
						onChange={(event) => setDraft(event.target.value)}
						data-testid="state-editor"
					/>
					<p className="muted small">
						Saving replaces the whole state in a turn of its own (logged with who and when).
					</p>
					{saveError && <p className="error">{saveError}</p>}
					<div className="row end">
						<button type="button" onClick={() => setDraft(undefined)}>
							Cancel
						</button>
						<button
							type="button"
							className="primary"
							onClick={() => void save()}
							data-testid="save-state"
						>
							Save state
						</button>
					</div>
				</>
			)}
		</div>
	);
}
