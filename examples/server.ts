// `npm start`: serves the example actors on the embedded LMDB store, and the
// example web apps at /apps/, on this machine only (127.0.0.1) unless
// TENON_HOST says otherwise.

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Demo tokens stay valid across restarts: the signing secret is kept next to
// the data (set EXAMPLES_AUTH_SECRET to choose it).
if (process.env.EXAMPLES_AUTH_SECRET === undefined) {
	const dir = process.env.TENON_DATA_DIR ?? ".tenon";
	const file = join(dir, "examples-auth-secret");
	mkdirSync(dir, { recursive: true });
	let secret = "";
	try {
		secret = readFileSync(file, "utf8").trim();
	} catch {
		// None yet: made below.
	}
	// A missing, empty or cut-short file (a crash while it was written) gets a new secret:
	// an empty one would let anyone sign tokens.
	if (secret.length < 32) {
		secret = randomBytes(32).toString("base64url");
		writeFileSync(file, secret, { mode: 0o600 });
	}
	process.env.EXAMPLES_AUTH_SECRET = secret;
}
const { issueToken } = await import("./auth/tokens.js");
const { registry } = await import("./registry.js");
const { serveApps } = await import("./apps/serve-apps.js");

const server = await registry.start({ fallback: serveApps });
const url = server.url;
// Demo sign-ins, so the examples that need a signed-in user can be tried.
// A real app issues tokens from its login; see examples/auth/tokens.ts.
const day = 24 * 60 * 60 * 1000;
// Printed only for a server on this machine: an approver's token in the logs of a server
// others can reach would be anyone's who reads them.
const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(new URL(url).hostname);
const alice = loopback
	? issueToken({ userId: "alice", roles: [] }, day)
	: "(not shown: not on loopback)";
const boss = loopback
	? issueToken({ userId: "boss", roles: ["approver", "moderator"] }, day)
	: "(not shown: not on loopback)";
console.log(`
Tenon is running at ${url} (data in ${process.env.TENON_DATA_DIR ?? "./.tenon"})

Web apps (open each in two windows; each browser signs in as a demo guest,
a private window as another one):
  ${url}/apps/editor/?doc=welcome   collaborative editor (Yjs)
  ${url}/apps/board/?board=team     multiplayer board (shared state, live cursors)
  ${url}/apps/agent/?agent=support  AI support agent (refunds wait for your approval)
  ${url}/apps/agent/?agent=code     AI agent running code in a WASM sandbox
  (the agents use a scripted mock LLM; set TENON_MODEL_URL for a real OpenAI-compatible one)

Try it:
  curl -X POST '${url}/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=demo' \\
       -H 'content-type: application/json' -d '{"args":[1]}'

Or from TypeScript:
  import { createClient } from "tenon/client";
  import type { registry } from "./examples/registry";
  const client = createClient<typeof registry>("${url}");
  await client.counter.getOrCreate("demo").increment(1);

Examples with users take a signed token in their params, e.g.
  client.todoList.getOrCreate("alice", { params: { token: "<alice's token>" } })
Demo tokens (valid 24 h; the signing secret is kept in the data directory):
  alice (user):     ${alice}
  boss (approver, board moderator):  ${boss}

Inspector: ${url}/inspector/ (sign in with TENON_ADMIN_TOKEN or TENON_INSPECTOR_TOKEN,
           set before starting; see docs/inspector.md)

Press Ctrl+C to stop (state is saved).
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.once(signal, () => {
		void server.close().then(() => process.exit(0));
	});
}
