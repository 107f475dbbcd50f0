// `npm start`: serves the example actors on the embedded LMDB store, on this
// machine only (127.0.0.1) unless TENON_HOST says otherwise.
import { issueToken } from "./auth/tokens.js";
import { registry } from "./registry.js";

const server = await registry.start();
const url = server.url;
// Demo sign-ins, so the examples that need a signed-in user can be tried.
// A real app issues tokens from its login; see examples/auth/tokens.ts.
const day = 24 * 60 * 60 * 1000;
const alice = issueToken({ userId: "alice", roles: [] }, day);
const boss = issueToken({ userId: "boss", roles: ["approver"] }, day);
console.log(`
Tenon is running at ${url} (data in ${process.env.TENON_DATA_DIR ?? "./.tenon"})

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
Demo tokens (valid 24 h, until this server restarts unless EXAMPLES_AUTH_SECRET is set):
  alice (user):     ${alice}
  boss (approver):  ${boss}

Press Ctrl+C to stop (state is saved).
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.once(signal, () => {
		void server.close().then(() => process.exit(0));
	});
}
