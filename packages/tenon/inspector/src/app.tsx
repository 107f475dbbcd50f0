import { useCallback, useEffect, useState } from "react";
import { ActorList } from "./actor-list.js";
import { ActorView } from "./actor-view.js";
import { ApiError, AUTH_FAILED_EVENT, api, storedToken, storeToken } from "./api.js";
import { Login } from "./login.js";
import type { Session } from "./types.js";

/** The selected actor, from the URL's hash (`#/actors/<id>`), so reloads and links keep it. */
function actorFromHash(): string | undefined {
	const match = /^#\/actors\/(.+)$/.exec(window.location.hash);
	if (!match) return undefined;
	// A link with a malformed escape (`%E0%A4%A`) threw here and blanked the whole
	// app until its URL was edited (an attacker probe, 2026-11-28); `.` and `..`
	// are no actor ids and would be path segments in the API's URLs.
	try {
		const id = decodeURIComponent(match[1] as string);
		return id === "." || id === ".." ? undefined : id;
	} catch {
		return undefined;
	}
}

/** The inspector: the login screen, then the actor list and the selected actor. */
export function App() {
	const [session, setSession] = useState<Session | undefined>(undefined);
	const [checking, setChecking] = useState(storedToken() !== null);
	const [selected, setSelected] = useState(actorFromHash());

	useEffect(() => {
		const onHash = () => setSelected(actorFromHash());
		window.addEventListener("hashchange", onHash);
		return () => window.removeEventListener("hashchange", onHash);
	}, []);

	useEffect(() => {
		if (storedToken() === null) return;
		api<Session>("session")
			.then(setSession)
			.catch(() => storeToken(null))
			.finally(() => setChecking(false));
	}, []);

	const signOut = useCallback(() => {
		storeToken(null);
		setSession(undefined);
	}, []);

	// A read refused for its token: asked again, the session says whether the token still
	// works (a read-only token refused a change does); if not, back to the login screen.
	const [notice, setNotice] = useState<string | undefined>(undefined);
	useEffect(() => {
		let checkingToken = false;
		const onAuthFailed = () => {
			if (checkingToken || storedToken() === null) return;
			checkingToken = true;
			api<Session>("session")
				.then(
					() => {},
					(caught) => {
						if (!(caught instanceof ApiError) || caught.group !== "auth") return;
						storeToken(null);
						setNotice(
							`The server no longer accepts this token (${caught.group}/${caught.code}): sign in again.`,
						);
						setSession(undefined);
					},
				)
				.finally(() => {
					checkingToken = false;
				});
		};
		window.addEventListener(AUTH_FAILED_EVENT, onAuthFailed);
		return () => window.removeEventListener(AUTH_FAILED_EVENT, onAuthFailed);
	}, []);

	if (checking) return <div className="center muted">Loading…</div>;
	if (session === undefined)
		return (
			<Login
				notice={notice}
				onSession={(accepted) => {
					setNotice(undefined);
					setSession(accepted);
				}}
			/>
		);
	const select = (actorId: string | undefined) => {
		window.location.hash = actorId === undefined ? "#/" : `#/actors/${encodeURIComponent(actorId)}`;
	};
	return (
		<div className="shell">
			<header className="topbar">
				<span className="brand">Tenon Inspector</span>
				<span className="spacer" />
				<span className="badge" data-status={session.role} data-testid="role">
					{session.role === "admin" ? "admin" : "read-only"}
				</span>
				<button type="button" className="ghost" onClick={signOut} data-testid="sign-out">
					Sign out
				</button>
			</header>
			<div className="columns">
				<ActorList session={session} selected={selected} onSelect={select} />
				<main className="detail">
					{selected === undefined ? (
						<div className="empty muted">Select an actor to inspect it.</div>
					) : (
						<ActorView
							key={selected}
							actorId={selected}
							session={session}
							onDestroyed={() => select(undefined)}
						/>
					)}
				</main>
			</div>
		</div>
	);
}
