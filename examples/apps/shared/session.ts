// Demo sign-in for the example apps: the example server issues a signed token
// for a name (a real app's login would check a password or an identity
// provider). The token, not the name, is what the actors trust.

/** The name this tab signs in with: `?name=`, else one remembered for the tab. */
export function nameOfThisTab(): string {
	const fromQuery = new URLSearchParams(location.search).get("name");
	if (fromQuery) return fromQuery;
	let name = sessionStorage.getItem("tenon-demo-name");
	if (!name) {
		name = `guest-${Math.random().toString(36).slice(2, 6)}`;
		sessionStorage.setItem("tenon-demo-name", name);
	}
	return name;
}

/** A signed token for `name` from the example server's demo sign-in. */
export async function signIn(name: string): Promise<string> {
	const response = await fetch(`/apps/login?${new URLSearchParams({ name })}`, { method: "POST" });
	if (!response.ok) throw new Error(`sign-in failed: HTTP ${response.status}`);
	return ((await response.json()) as { token: string }).token;
}
