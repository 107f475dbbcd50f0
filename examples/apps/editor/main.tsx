// A collaborative editor: CodeMirror bound to a Yjs document that the `note`
// actor holds (tenon/yjs). Edits merge live; each is acknowledged once the
// actor stored it; cursors of the others show (awareness).
import { EditorState } from "@codemirror/state";
import { basicSetup, EditorView } from "codemirror";
import { useEffect, useRef, useState } from "react";
import { createClient } from "tenon/client";
import { createTenonReact } from "tenon/react";
import { TenonYjsProvider } from "tenon/yjs";
import { yCollab } from "y-codemirror.next";
import * as Y from "yjs";
import type { registry } from "../../registry.js";
import { nameFromLink } from "../shared/link-name.js";
import type { Session } from "../shared/session.js";
import { renderSignedInPage } from "../shared/signed-in-page.js";

const { name: docName, problem: linkProblem } = nameFromLink("doc", "welcome");
const client = createClient<typeof registry>({
	endpoint: location.origin,
	reconnect: { minDelayMs: 100, maxDelayMs: 2_000 },
});
const { useActor } = createTenonReact(client);
const COLORS = ["#5b6cf0", "#e5484d", "#30a46c", "#f76b15", "#8e4ec6", "#0090ff"];

function Editor({ session }: { session: Session }) {
	const { connection, status, error } = useActor({
		name: "note",
		key: [docName],
		params: { token: session.token },
	});
	const name = session.userId;
	const host = useRef<HTMLDivElement>(null);
	const [synced, setSynced] = useState(false);
	const [pending, setPending] = useState(0);
	const [people, setPeople] = useState<string[]>([]);
	const [problem, setProblem] = useState<string | undefined>(linkProblem);
	useEffect(() => {
		const parent = host.current;
		if (connection === undefined || parent === null) return undefined;
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, connection, {
			onRefused: (refused) => setProblem(`Not saved: ${(refused as Error).message}`),
		});
		// Not synced while the connection is down (until the sync after the reconnect).
		const stopSync = provider.on("sync", setSynced);
		const color = COLORS[Math.abs(hash(name)) % COLORS.length] as string;
		provider.awareness.setLocalStateField("user", { name, color, colorLight: `${color}33` });
		let view: EditorView | undefined;
		let stopped = false;
		// Bound once synced, and only to plain text: the binding loops forever on an embed (the
		// note actor refuses them since 2026-11-29; a note stored before may hold one).
		void provider.whenSynced().then(() => {
			if (stopped) return;
			const text = doc.getText("text");
			if (!text.toDelta().every((part: { insert?: unknown }) => typeof part.insert === "string")) {
				setProblem("This note holds content a text editor cannot show; it is not opened here.");
				return;
			}
			view = new EditorView({
				doc: text.toString(),
				extensions: [
					basicSetup,
					EditorView.lineWrapping,
					// Only "\n" breaks a line, so a position is the same in the editor as in the text:
					// by default CodeMirror counts CR LF as one break, and a note holding one (the actor
					// refuses control characters since 2026-11-29) put every reader out of step.
					EditorState.lineSeparator.of("\n"),
					// So pasted or dropped text loses what the note refuses: a CR LF from the clipboard
					// (Windows') would have been kept by the line separator above, refused, and left
					// this and every later edit unsaved (a review, 2026-11-29).
					EditorView.clipboardInputFilter.of(withoutControls),
					yCollab(text, provider.awareness),
				],
				parent,
			});
		});
		const onAwareness = () =>
			setPeople(
				[...provider.awareness.getStates().entries()]
					.filter(([id]) => id !== doc.clientID)
					.map(([, state]) => String((state as { user?: { name?: string } }).user?.name ?? "?")),
			);
		provider.awareness.on("change", onAwareness);
		const timer = setInterval(() => setPending(provider.unacknowledged), 200);
		return () => {
			stopped = true;
			stopSync();
			setSynced(false);
			clearInterval(timer);
			provider.awareness.off("change", onAwareness);
			provider.destroy();
			view?.destroy();
			doc.destroy();
		};
	}, [connection, name]);
	return (
		<>
			<header className="bar">
				<strong>{docName}</strong>
				<span className="status" data-status={status} id="status">
					{status}
				</span>
				<span id="synced">{synced ? "synced" : "syncing"}</span>
				<span id="pending">
					{!synced ? "" : pending === 0 ? "all edits saved" : `${pending} unsaved`}
				</span>
				<span className="people" id="people">
					{people.length === 0 ? "nobody else here" : `also here: ${people.sort().join(", ")}`}
				</span>
				{error ? <span id="error">{`${error.group}/${error.code}`}</span> : null}
			</header>
			{problem === undefined ? null : (
				<p className="problem" id="problem" role="alert">
					{problem}
				</p>
			)}
			<div className="editor" ref={host} id="editor" />
		</>
	);
}

function hash(text: string): number {
	let h = 0;
	for (const char of text) h = (h * 31 + char.charCodeAt(0)) | 0;
	return h;
}

renderSignedInPage({
	title: "Collaborative editor",
	intro: ". Open this page in another window to edit together.",
	children: (session) => <Editor session={session} />,
});

/** `text` with CR LF and CR as line feeds, and no other control character but tab. */
function withoutControls(text: string): string {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
	return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");
}
