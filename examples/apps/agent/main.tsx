// A chat with an agent actor: the transcript, the answer as it streams, the
// turn's status, Stop, Again (the last answer written anew), Clear, and a confirmation card for high-risk tool calls
// (only the user who asked may approve; the actor checks). Open the same
// conversation in two windows: both show one stream.
import { type FormEvent, useEffect, useRef, useState } from "react";
import type { AgentMessage } from "tenon/client";
import { createClient } from "tenon/client";
import { createTenonReact, useAgentChat } from "tenon/react";
import type { registry } from "../../registry.js";
import { nameFromLink } from "../shared/link-name.js";
import type { Session } from "../shared/session.js";
import { renderSignedInPage } from "../shared/signed-in-page.js";

const query = new URLSearchParams(location.search);
const agentName = query.get("agent") === "code" ? "codeAgent" : "supportAgent";
const { name: conversation, problem: linkProblem } = nameFromLink("c", "main");
const client = createClient<typeof registry>({
	endpoint: location.origin,
	reconnect: { minDelayMs: 100, maxDelayMs: 2_000 },
});
const { useActor } = createTenonReact(client);

const SUGGESTIONS: Record<typeof agentName, string[]> = {
	supportAgent: ["show my orders", "refund order A-1002", "sneaky: refund A-1003"],
	codeAgent: [
		"compute fibonacci numbers",
		"loop forever",
		"use all the memory",
		"try to escape the sandbox",
	],
};

function Message({ message }: { message: AgentMessage }) {
	if (message.role === "tool")
		return (
			<details
				className={`msg tool ${message.status}`}
				data-role="tool"
				data-status={message.status}
			>
				<summary>
					tool <code>{message.toolName}</code>: {message.status}
				</summary>
				<pre>{message.content}</pre>
			</details>
		);
	return (
		<div
			className={`msg ${message.role} ${message.status}`}
			data-role={message.role}
			data-status={message.status}
			data-id={message.id}
		>
			<small>{message.role === "user" ? message.author : "agent"}</small>
			<p>{message.content}</p>
			{message.toolCalls?.map((call) => (
				<div key={call.id} className="call">
					calls <code>{call.name}</code> <code>{call.arguments}</code>
				</div>
			))}
		</div>
	);
}

function Chat({ session }: { session: Session }) {
	// A conversation is keyed [user id, conversation]: only its user opens it.
	const { connection, status, error } = useActor({
		name: agentName,
		key: [session.userId, conversation],
		params: { token: session.token },
	});
	const chat = useAgentChat(connection);
	const [text, setText] = useState("");
	const [problem, setProblem] = useState<string | undefined>(linkProblem);
	const [asking, setAsking] = useState(false);
	const end = useRef<HTMLDivElement>(null);
	// A pending confirmation too: its Approve and Deny were below the fold at 390 px.
	const shown = `${chat.messages.length}.${chat.streaming?.text.length ?? 0}.${chat.pending?.callId ?? ""}`;
	useEffect(() => {
		if (shown !== "0.0.") end.current?.scrollIntoView({ block: "end" });
	}, [shown]);
	const report = (promise: Promise<unknown>) =>
		void promise.then(
			() => setProblem(undefined),
			(err: { group?: string; code?: string; message?: string }) =>
				setProblem(`${err.group ?? "error"}/${err.code ?? "unknown"}: ${err.message ?? ""}`),
		);
	const send = (event: FormEvent) => {
		event.preventDefault();
		if (text.trim() === "") return;
		const sending = chat.send(text.trim());
		report(sending);
		// Kept when refused (rate limited, too long), to send again.
		void sending.then(
			() => setText(""),
			() => {},
		);
	};
	const busy = chat.status !== "idle";
	return (
		<>
			<header className="bar">
				<strong>{agentName === "codeAgent" ? "Code agent" : "Support agent"}</strong>
				<span className="status" data-status={status} id="status">
					{status}
				</span>
				<span className="people" id="turn" data-turn={chat.status}>
					{chat.status === "idle" ? "ready" : chat.status}
					{chat.queued.length > 0 ? ` (${chat.queued.length} waiting)` : ""}
				</span>
				{error ? <span id="error">{`${error.group}/${error.code}: ${error.message}`}</span> : null}
			</header>
			<div className="chat" id="chat">
				{chat.messages.map((message) => (
					<Message key={message.id} message={message} />
				))}
				{chat.streaming ? (
					<div className="msg assistant streaming" id="streaming" data-role="streaming">
						<small>agent</small>
						<p>
							{chat.streaming.text}
							<span className="caret">▍</span>
						</p>
					</div>
				) : null}
				{chat.queued.map((prompt) => (
					<div key={prompt.turnId} className="msg user queued" data-role="queued">
						<small>
							{prompt.author} ({prompt.regenerates === undefined ? "waiting" : "asked again"})
						</small>
						<p>{prompt.text}</p>
					</div>
				))}
				{chat.pending ? (
					<div className="confirm" id="confirm" role="alertdialog" aria-label="Confirm a tool call">
						<p>
							The agent wants to run <code>{chat.pending.tool}</code> with{" "}
							<code>{chat.pending.arguments}</code>.
						</p>
						<p>
							<small>
								Only {chat.pending.requester} may decide; no answer by{" "}
								{new Date(chat.pending.expiresAt).toLocaleTimeString()} counts as no.
							</small>
						</p>
						<button
							type="button"
							id="approve"
							onClick={() => report(chat.confirm(chat.pending?.callId ?? "", true))}
						>
							Approve
						</button>{" "}
						<button
							type="button"
							id="deny"
							onClick={() => report(chat.confirm(chat.pending?.callId ?? "", false))}
						>
							Deny
						</button>
					</div>
				) : null}
				{chat.error && chat.status === "idle" ? (
					<p className="failure" id="turn-error">
						{`${chat.error.group}/${chat.error.code}: ${chat.error.message}`}
					</p>
				) : null}
				<div ref={end} />
			</div>
			<form className="add" onSubmit={send}>
				<input
					id="prompt"
					value={text}
					maxLength={4_000}
					placeholder="Ask the agent"
					onChange={(event) => setText(event.target.value)}
				/>
				<button type="submit" id="send">
					Send
				</button>
				<button type="button" id="stop" disabled={!busy} onClick={() => report(chat.stop())}>
					Stop
				</button>
				<button
					type="button"
					id="again"
					title="Answer the last prompt again"
					// Not while its call or another prompt waits: a quick second click was refused busy.
					disabled={
						busy ||
						asking ||
						chat.queued.length > 0 ||
						!chat.messages.some((message) => message.role === "user")
					}
					onClick={() => {
						setAsking(true);
						const asked = chat.regenerate();
						report(asked);
						void asked.finally(() => setAsking(false)).catch(() => {});
					}}
				>
					Again
				</button>
				<button
					type="button"
					id="clear"
					disabled={busy || chat.messages.length === 0}
					onClick={() => report(chat.clear())}
				>
					Clear
				</button>
			</form>
			<p className="suggestions">
				{SUGGESTIONS[agentName].map((suggestion) => (
					<button type="button" key={suggestion} onClick={() => setText(suggestion)}>
						{suggestion}
					</button>
				))}
			</p>
			{problem ? (
				<p className="failure" id="problem">
					{problem}
				</p>
			) : null}
		</>
	);
}

renderSignedInPage({
	title: "Agent chat",
	intro: (
		<>
			, conversation <b>{conversation}</b>. Other agents: <a href="?agent=support">support</a> ·{" "}
			<a href="?agent=code">code</a>
		</>
	),
	children: (session) => <Chat session={session} />,
});
