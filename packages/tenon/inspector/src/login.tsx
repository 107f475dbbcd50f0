import { type FormEvent, useEffect, useState } from "react";
import { ApiError, api, describeError, storeToken } from "./api.js";
import type { Session } from "./types.js";

/**
 * Asks for the inspector (or admin) token; kept in sessionStorage once the server accepts it.
 * `notice`: why the app came back here (a token no longer accepted).
 */
export function Login({
	onSession,
	notice,
}: {
	onSession: (session: Session) => void;
	notice?: string | undefined;
}) {
	const [token, setToken] = useState("");
	const [error, setError] = useState<string | undefined>(notice);
	const [busy, setBusy] = useState(false);

	// A server with no token configured says so at once, not after a token was typed.
	useEffect(() => {
		api<Session>("session", { token: "" }).catch((caught) => {
			if (caught instanceof ApiError && caught.code.endsWith("_disabled"))
				setError(describeError(caught));
		});
	}, []);

	const submit = async (event: FormEvent) => {
		event.preventDefault();
		setBusy(true);
		setError(undefined);
		try {
			const session = await api<Session>("session", { token: token.trim() });
			storeToken(token.trim());
			onSession(session);
		} catch (caught) {
			setError(describeError(caught));
		} finally {
			setBusy(false);
		}
	};

	return (
		<div className="center">
			<form className="card login" onSubmit={submit}>
				<h1>Tenon Inspector</h1>
				<p className="muted">
					Sign in with the server's inspector token (reads) or admin token (reads and changes).
				</p>
				<label htmlFor="token">Token</label>
				<input
					id="token"
					type="password"
					autoComplete="off"
					value={token}
					onChange={(event) => setToken(event.target.value)}
					data-testid="token"
				/>
				{error && (
					<p className="error" data-testid="login-error">
						{error}
					</p>
				)}
				<button type="submit" className="primary" disabled={busy || token.trim() === ""}>
					{busy ? "Checking…" : "Sign in"}
				</button>
			</form>
		</div>
	);
}
