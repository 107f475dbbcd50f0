// A multiplayer board: sticky notes from the actor's shared state (every page
// sees every saved change) and live cursors from presence (each page says
// where its cursor is; the actor says whose it is).
import { type FormEvent, type PointerEvent, useEffect, useRef, useState } from "react";
import { createClient } from "tenon/client";
import { createTenonReact } from "tenon/react";
import type { registry } from "../../registry.js";
import { renderSignedInPage } from "../shared/signed-in-page.js";

const boardName = new URLSearchParams(location.search).get("board") ?? "team";
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
	const area = useRef<HTMLDivElement>(null);
	const [text, setText] = useState("");
	const [dragging, setDragging] = useState<{ id: number; dx: number; dy: number } | null>(null);
	const [dragAt, setDragAt] = useState<{ x: number; y: number } | null>(null);
	const lastSent = useRef(0);

	const pointIn = (event: PointerEvent) => {
		const box = (area.current as HTMLDivElement).getBoundingClientRect();
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
			void connection?.moveNote(dragging.id, Math.max(0, dragAt.x), Math.max(0, dragAt.y));
		setDragging(null);
		setDragAt(null);
	};
	const add = (event: FormEvent) => {
		event.preventDefault();
		if (text.trim() === "") return;
		const n = state?.notes.length ?? 0;
		void connection?.addNote(text.trim(), 20 + (n % 5) * 150, 20 + Math.floor(n / 5) * 90);
		setText("");
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
			<div
				className="board"
				id="board"
				ref={area}
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
							onDoubleClick={() => void connection?.removeNote(sticky.id).catch(() => {})}
							onKeyDown={(event) => {
								if (event.key === "Delete" || event.key === "Backspace")
									void connection?.removeNote(sticky.id).catch(() => {});
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
		</>
	);
}

renderSignedInPage({
	title: "Multiplayer board",
	intro: ". Add notes, drag them, and watch the others' cursors.",
	children: (session) => <Board token={session.token} />,
});
