// A multiplayer board: sticky notes from the actor's shared state (every page
// sees every saved change) and live cursors from presence (each page says
// where its cursor is; the actor says whose it is).
import { type FormEvent, type PointerEvent, useEffect, useRef, useState } from "react";
import { createClient } from "tenon/client";
import { createTenonReact } from "tenon/react";
import type { registry } from "../../registry.js";
import { nameFromLink } from "../shared/link-name.js";
import { renderSignedInPage } from "../shared/signed-in-page.js";

const { name: boardName, problem: linkProblem } = nameFromLink("board", "team");
const client = createClient<typeof registry>({
	endpoint: location.origin,
	reconnect: { minDelayMs: 100, maxDelayMs: 2_000 },
});
const { useActor, useActorState, usePresence } = createTenonReact(client);

function Board({ token }: { token: string }) {
	const { connection, status, error } = useActor({
		name: "board",
		key: [boardName],
		params: { token },
	});
	const state = useActorState(connection);
	const presence = usePresence(connection);
	// The board scrolls: a note may be anywhere in 0..2000 (a drop, or another user's move).
	const canvas = useRef<HTMLDivElement>(null);
	const area = useRef<HTMLDivElement>(null);
	const [text, setText] = useState("");
	const [problem, setProblem] = useState<string | undefined>(linkProblem);
	// A change the actor refused is said, not dropped (a walkthrough, 2026-11-29: the page
	// hid every refusal, a 21st note vanished with an uncaught error).
	const report = (change: Promise<unknown> | undefined) =>
		void change?.then(
			() => setProblem(undefined),
			(err: { message?: string; metadata?: unknown }) => setProblem(refusalText(err)),
		);
	const [dragging, setDragging] = useState<{ id: number; dx: number; dy: number } | null>(null);
	const [dragAt, setDragAt] = useState<{ x: number; y: number } | null>(null);
	const lastSent = useRef(0);

	const pointIn = (event: PointerEvent) => {
		const box = (canvas.current as HTMLDivElement).getBoundingClientRect();
		return {
			x: Math.max(0, Math.min(2_000, Math.round(event.clientX - box.left))),
			y: Math.max(0, Math.min(2_000, Math.round(event.clientY - box.top))),
		};
	};
	const onMove = (event: PointerEvent) => {
		const point = pointIn(event);
		if (dragging) setDragAt({ x: point.x - dragging.dx, y: point.y - dragging.dy });
		// At most ~30 updates a second (the actor merges anything faster anyway).
		const now = performance.now();
		if (now - lastSent.current < 33) return;
		lastSent.current = now;
		void presence.set(point).catch(() => {});
	};
	const onUp = () => {
		if (dragging && dragAt)
			report(connection?.moveNote(dragging.id, Math.max(0, dragAt.x), Math.max(0, dragAt.y)));
		setDragging(null);
		setDragAt(null);
	};
	const add = (event: FormEvent) => {
		event.preventDefault();
		if (text.trim() === "") return;
		const { x, y } = freeSpot(state?.notes ?? [], area.current?.clientWidth ?? 800);
		const adding = connection?.addNote(text.trim(), x, y);
		report(adding);
		// Kept to send again when refused.
		void adding?.then(
			() => setText(""),
			() => {},
		);
	};
	useEffect(() => () => void presence.set(null).catch(() => {}), [presence.set]);

	return (
		<>
			<header className="bar">
				<strong>{boardName}</strong>
				<span className="status" data-status={status} id="status">
					{status}
				</span>
				<span className="people" id="people">
					{presence.others.length === 0
						? "nobody else here"
						: `also here: ${presence.others
								.map((other) => other.user.name)
								.sort()
								.join(", ")}`}
				</span>
				{error ? <span id="error">{`${error.group}/${error.code}`}</span> : null}
			</header>
			{problem ? (
				<p className="failure" id="problem" role="alert">
					{problem}
				</p>
			) : null}
			<form className="add" onSubmit={add}>
				<input
					id="text"
					value={text}
					maxLength={280}
					placeholder="A new note"
					onChange={(event) => setText(event.target.value)}
				/>
				<button type="submit" id="add">
					Add
				</button>
			</form>
			<div className="board" id="board" ref={area}>
				<div
					className="board-canvas"
					ref={canvas}
					onPointerMove={onMove}
					onPointerUp={onUp}
					onPointerLeave={onUp}
				>
					{state?.notes.map((sticky) => {
						const moving = dragging?.id === sticky.id && dragAt !== null;
						return (
							<button
								type="button"
								key={sticky.id}
								title="Drag to move; double-click or Delete to remove"
								className="sticky"
								data-note={sticky.text}
								style={{ left: moving ? dragAt.x : sticky.x, top: moving ? dragAt.y : sticky.y }}
								onPointerDown={(event) => {
									const point = pointIn(event);
									setDragging({ id: sticky.id, dx: point.x - sticky.x, dy: point.y - sticky.y });
								}}
								onDoubleClick={() => report(connection?.removeNote(sticky.id))}
								onKeyDown={(event) => {
									if (event.key === "Delete" || event.key === "Backspace")
										report(connection?.removeNote(sticky.id));
								}}
							>
								{sticky.text}
								<small>{sticky.author}</small>
							</button>
						);
					})}
					{presence.others.map((other) =>
						other.data === null ? null : (
							<div
								key={other.conn}
								className="cursor"
								data-cursor={other.user.name}
								style={{ left: other.data.x, top: other.data.y }}
							>
								{other.user.name}
							</div>
						),
					)}
				</div>
			</div>
		</>
	);
}

const NOTE = { width: 150, height: 90 };

/**
 * Where a new note goes: the first cell of a grid as wide as the board's visible width that no
 * note covers (placed by the count of notes, they went below the board's edge from the 31st
 * on, and onto others after a removal).
 */
function freeSpot(notes: readonly { x: number; y: number }[], width: number) {
	const columns = Math.max(1, Math.floor((width - 20) / NOTE.width));
	for (let cell = 0; cell < 400; cell++) {
		const x = 20 + (cell % columns) * NOTE.width;
		const y = 20 + Math.floor(cell / columns) * NOTE.height;
		const taken = notes.some(
			(note) => Math.abs(note.x - x) < NOTE.width - 10 && Math.abs(note.y - y) < NOTE.height - 10,
		);
		if (!taken) return { x, y };
	}
	return { x: 20, y: 20 };
}

renderSignedInPage({
	title: "Multiplayer board",
	intro: ". Add notes, drag them, and watch the others' cursors.",
	children: (session) => <Board token={session.token} />,
});

/**
 * What a refusal says, with the reasons a schema gave (`request/invalid_args` lists them in
 * `metadata.issues`): "Invalid arguments" alone hid why a note with an invisible direction mark
 * was refused (a walkthrough, 2026-11-29).
 */
function refusalText(err: { message?: string; metadata?: unknown }): string {
	const issues = (err.metadata as { issues?: unknown } | undefined)?.issues;
	const reasons = Array.isArray(issues)
		? issues
				.map((issue) => (issue as { message?: unknown }).message)
				.filter((message): message is string => typeof message === "string")
		: [];
	const said = err.message ?? String(err);
	return reasons.length === 0 ? said : `${said}: ${reasons.join("; ")}`;
}
