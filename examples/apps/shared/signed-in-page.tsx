// The frame every example app shares: sign in (demo), then render the app
// with the session, under a title and a line about who is signed in.
import { type ReactNode, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { type Session, signIn } from "./session.js";

interface PageProps {
	title: string;
	/** After "Signed in as <user>". */
	intro: ReactNode;
	/** The app, once signed in. */
	children: (session: Session) => ReactNode;
}

function SignedInPage({ title, intro, children }: PageProps) {
	const [session, setSession] = useState<Session>();
	const [problem, setProblem] = useState<string>();
	useEffect(() => {
		void signIn().then(setSession, (error: Error) => setProblem(error.message));
	}, []);
	return (
		<main className="page">
			<h1>{title}</h1>
			<p>
				Signed in as <b id="me">{session?.userId ?? "…"}</b> (a demo guest: a private window signs
				in as another one)
				{intro}
			</p>
			{session ? children(session) : <p>{problem ?? "signing in…"}</p>}
		</main>
	);
}

/** Renders a signed-in page into `#root`. */
export function renderSignedInPage(props: PageProps): void {
	createRoot(document.getElementById("root") as HTMLElement).render(
		<StrictMode>
			<SignedInPage {...props} />
		</StrictMode>,
	);
}
