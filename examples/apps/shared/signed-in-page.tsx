// The frame every example app shares: sign in (demo), then render the app
// with the signed token, under a title and a line about who is signed in.
import { type ReactNode, StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { signIn } from "./session.js";

interface PageProps {
	title: string;
	name: string;
	/** After "Signed in as <name>". */
	intro: ReactNode;
	/** The app, once signed in. */
	children: (token: string) => ReactNode;
}

function SignedInPage({ title, name, intro, children }: PageProps) {
	const [token, setToken] = useState<string>();
	useEffect(() => {
		void signIn(name).then(setToken);
	}, [name]);
	return (
		<main className="page">
			<h1>{title}</h1>
			<p>
				Signed in as <b id="me">{name}</b>
				{intro}
			</p>
			{token ? children(token) : <p>signing in…</p>}
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
