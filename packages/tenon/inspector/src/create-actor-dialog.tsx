import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, describeError } from "./api.js";
import type { ActorSummary, Session } from "./types.js";
import { parseKeyText } from "./visible-key.js";

/** Creates an actor: its type, its key (parts separated by `/`) and an optional JSON input. */
export function CreateActorDialog({
	session,
	onClose,
	onCreated,
}: {
	session: Session;
	onClose: () => void;
	onCreated: (actorId: string) => void;
}) {
	const dialog = useRef<HTMLDialogElement>(null);
	const [name, setName] = useState(session.actorNames[0]?.name ?? "");
	const [key, setKey] = useState("");
	const [input, setInput] = useState("");
	const [error, setError] = useState<string | undefined>(undefined);
	useEffect(() => {
		dialog.current?.showModal();
	}, []);

	const submit = async (event: FormEvent) => {
		event.preventDefault();
		setError(undefined);
		try {
			const body: Record<string, unknown> = {
				name,
				key: parseKeyText(key),
			};
			if (input.trim() !== "") body.input = JSON.parse(input);
			const { actor } = await api<{ actor: ActorSummary }>("actors", { method: "POST", body });
			onCreated(actor.actorId);
		} catch (caught) {
			setError(describeError(caught));
		}
	};

	return (
		<dialog ref={dialog} className="dialog" onCancel={onClose}>
			<form onSubmit={submit} className="stack">
				<h3>New actor</h3>
				<label htmlFor="new-name">Type</label>
				<select id="new-name" value={name} onChange={(event) => setName(event.target.value)}>
					{session.actorNames.map((actor) => (
						<option key={actor.name}>{actor.name}</option>
					))}
				</select>
				<label htmlFor="new-key">Key (parts separated by /; \/ for a / in a part)</label>
				<input
					id="new-key"
					value={key}
					onChange={(event) => setKey(event.target.value)}
					data-testid="new-key"
				/>
				<label htmlFor="new-input">Input (JSON, optional)</label>
				<textarea
					id="new-input"
					rows={4}
					value={input}
					onChange={(event) => setInput(event.target.value)}
				/>
				{error && <p className="error">{error}</p>}
				<div className="row end">
					<button type="button" onClick={onClose}>
						Cancel
					</button>
					<button type="submit" className="primary" data-testid="create-submit">
						Create
					</button>
				</div>
			</form>
		</dialog>
	);
}
