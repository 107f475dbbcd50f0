// Demo sign-in for the example apps: the example server makes up a guest
// identity (`guest-…`) and issues a signed token for it. The token, not a
// name, is what the actors trust; nobody can pick the name of someone who
// exists (a real app's login checks a password or an identity provider).

/** Who this browser is signed in as. */
export interface Session {
	userId: string;
	token: string;
}

/** Where the browser keeps its token: every tab of this browser is one guest. */
const KEPT = "tenon-demo-token";

let signingIn: Promise<Session> | undefined;

/**
 * Signs in with the example server's demo sign-in: it renews the guest whose
 * token this browser kept (while that token is valid), else makes a new
 * guest. Once per page (React's strict mode runs effects twice).
 */
export function signIn(): Promise<Session> {
	signingIn ??= (async () => {
		const response = await fetch("/apps/login", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ token: localStorage.getItem(KEPT) ?? undefined }),
		});
		if (!response.ok) {
			// The server's own words ("too many new sign-ins from this address; try again later").
			const said = (await response.json().catch(() => undefined)) as
				| { message?: unknown }
				| undefined;
			const reason = typeof said?.message === "string" ? said.message : `HTTP ${response.status}`;
			throw new Error(`sign-in failed: ${reason}`);
		}
		const session = (await response.json()) as Session;
		localStorage.setItem(KEPT, session.token);
		return session;
	})();
	return signingIn;
}
