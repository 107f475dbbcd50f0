// A page built on tenon/react: two components ask for the same actor (one
// connection between them, in strict mode too), and show its status, shared
// state, events and presence. Endpoint, room and user come from the query.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { createClient } from "tenon/client";
import { createTenonReact } from "tenon/react";
import type { boardRegistry } from "./board.js";

const query = new URLSearchParams(location.search);
const endpoint = query.get("endpoint") ?? "http://127.0.0.1:6420";
const room = query.get("room") ?? "react";
const user = query.get("user") ?? "anonymous";

const client = createClient<typeof boardRegistry>({
	endpoint,
	reconnect: { minDelayMs: 50, maxDelayMs: 500 },
});
const { useActor, useEvent, useActorState, usePresence } = createTenonReact(client);

function useBoard() {
	return useActor({ name: "board", key: [room], params: { user } });
}

function Status() {
	const { status, error } = useBoard();
	// Every status this component has shown, so a quick reconnect is still visible.
	const [history, setHistory] = useState<string[]>([]);
	useEffect(() => {
		setHistory((seen) => (seen.at(-1) === status ? seen : [...seen, status]));
	}, [status]);
	return (
		<p>
			status: <output id="status">{status}</output> <output id="error">{error?.code ?? ""}</output>{" "}
			<output id="history">{history.join(",")}</output>
		</p>
	);
}

function Notes() {
	const { connection } = useBoard();
	const state = useActorState(connection);
	const [events, setEvents] = useState(0);
	useEvent(connection, "added", () => setEvents((n) => n + 1));
	const presence = usePresence(connection);
	return (
		<section>
			<ul id="notes">
				{state?.notes.map((note) => (
					<li key={note}>{note}</li>
				))}
			</ul>
			<p>
				events: <output id="events">{events}</output>
			</p>
			<p>
				others:{" "}
				<output id="others">
					{presence.others
						.map((other) => other.user.name)
						.sort()
						.join(",")}
				</output>
			</p>
			<button type="button" id="add" onClick={() => void connection?.add(`note from ${user}`)}>
				add
			</button>
			<button type="button" id="here" onClick={() => void presence.set({ here: true })}>
				here
			</button>
		</section>
	);
}

createRoot(document.getElementById("root") as HTMLElement).render(
	<StrictMode>
		<Status />
		<Notes />
	</StrictMode>,
);
