// `npm start`: serves the example actors on the embedded LMDB store.
import { registry } from "./registry.js";

const server = await registry.start();
const url = server.url;
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

Press Ctrl+C to stop (state is saved).
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.once(signal, () => {
		void server.close().then(() => process.exit(0));
	});
}
