// Pages that change what tenon/react's hooks are asked for while they run
// (strict mode), and log what each committed render saw: the test reads
// `window.hookLog`. The case comes from the query (`?case=switch&endpoint=...`).
import { StrictMode, Suspense, startTransition, use, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { type AgentConnection, createClient } from "tenon/client";
import { createTenonReact, useAgentChat } from "tenon/react";
import type { roomsRegistry } from "./rooms.js";

const query = new URLSearchParams(location.search);
const endpoint = query.get("endpoint") ?? "http://127.0.0.1:6420";

const client = createClient<typeof roomsRegistry>({
	endpoint,
	reconnect: { minDelayMs: 50, maxDelayMs: 500 },
});
const { useActor, useEvent, connections } = createTenonReact(client);

const hookLog: string[] = [];
const log = (entry: string) => hookLog.push(entry);
Object.assign(window, { hookLog, hookConnections: connections });

/** Moves through rooms a, b, c, a; every committed render logs the room it asked for and the one its connection reached. */
function Switch() {
	const [room, setRoom] = useState("a");
	const { connection, status } = useActor({ name: "room", key: [room] });
	useEffect(() => {
		if (connection === undefined) return;
		void connection.whoami().then(
			(reached) => log(`${room}=${reached}`),
			(error: unknown) => log(`${room}=error ${String(error)}`),
		);
	}, [connection, room]);
	const next = { a: "b", b: "c", c: "a" }[room] ?? "a";
	return (
		<p>
			<output id="room">{room}</output> <output id="status">{status}</output>
			<button type="button" id="next" onClick={() => setRoom(next)}>
				next
			</button>
		</p>
	);
}

/** Turns its connection off and on; every committed render logs whether it had one. */
function Toggle() {
	const [enabled, setEnabled] = useState(true);
	const { connection, status } = useActor({ name: "room", key: ["toggle"], enabled });
	useEffect(() => {
		log(`${enabled ? "enabled" : "disabled"}:${connection === undefined ? "none" : "connection"}`);
	}, [enabled, connection]);
	return (
		<p>
			<output id="status">{status}</output>
			<button type="button" id="toggle" onClick={() => setEnabled((on) => !on)}>
				toggle
			</button>
		</p>
	);
}

/** Creates its room with a bigint in its input (CBOR carries it; JSON cannot). */
function BigInput() {
	const { connection, status } = useActor({
		name: "room",
		key: ["big"],
		createWithInput: { n: 5n },
	});
	const [said, setSaid] = useState<number | undefined>(undefined);
	useEffect(() => {
		if (connection === undefined) return;
		void connection.say().then(setSaid);
	}, [connection]);
	return (
		<p>
			<output id="status">{status}</output> <output id="said">{said ?? ""}</output>
		</p>
	);
}

/** A stand-in for a connection to an agent: its transcript is one message naming it. */
function fakeAgent(name: string): AgentConnection {
	const message = {
		seq: 1,
		id: `${name}-1`,
		turnId: "t1",
		role: "user" as const,
		content: `hello from ${name}`,
		status: "complete" as const,
		author: null,
		toolCalls: null,
		toolCallId: null,
		toolName: null,
		createdAt: 0,
	};
	return {
		prompt: async (text) => {
			log(`prompt to ${name}: ${text}`);
			return { turnId: "t2", messageId: "m2" };
		},
		stop: async () => false,
		confirm: async () => {},
		history: async () => [message],
		live: async () => null,
		on: () => () => {},
		onOpen: () => () => {},
		sharedState: undefined,
		onSharedState: () => () => {},
	};
}
const agents = { A: fakeAgent("A"), B: fakeAgent("B") };

/** Switches from conversation A to B; every committed render logs the transcript it showed. */
function Chat() {
	const [which, setWhich] = useState<"A" | "B">("A");
	const chat = useAgentChat(agents[which]);
	useEffect(() => {
		log(`${which}:${chat.messages.map((message) => message.id).join(",")}`);
	}, [which, chat.messages]);
	return (
		<p>
			<output id="transcript">{chat.messages.map((message) => message.id).join(",")}</output>
			<button type="button" id="switch" onClick={() => setWhich("B")}>
				switch
			</button>
		</p>
	);
}

/** Never resolves: a render that reads it suspends. */
const forever = new Promise<never>(() => {});

function Pending({ label }: { label: string }) {
	if (label === "suspended") use(forever);
	return <output id="label">{label}</output>;
}

/**
 * Its label moves, in a transition, to one whose render suspends for good:
 * the page keeps showing (and has committed) "shown", and the events that
 * arrive meanwhile must be heard by the handler of that committed render.
 */
function EventDuringTransition() {
	const [label, setLabel] = useState("shown");
	const { connection, status } = useActor({ name: "room", key: ["transition"] });
	useEvent(connection, "said", (n) => log(`${n}:${label}`));
	return (
		<p>
			<output id="status">{status}</output>
			<Pending label={label} />
			<button
				type="button"
				id="suspend"
				onClick={() => startTransition(() => setLabel("suspended"))}
			>
				suspend
			</button>
		</p>
	);
}

function Transition() {
	return (
		<Suspense fallback={<output id="label">fallback</output>}>
			<EventDuringTransition />
		</Suspense>
	);
}

const cases = {
	switch: Switch,
	toggle: Toggle,
	big: BigInput,
	chat: Chat,
	transition: Transition,
};
const Case = cases[(query.get("case") ?? "switch") as keyof typeof cases];

createRoot(document.getElementById("root") as HTMLElement).render(
	<StrictMode>
		<Case />
	</StrictMode>,
);
