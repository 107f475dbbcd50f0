// A RivetKit React front end, unmodified but for its endpoint: the page a
// RivetKit user already has, pointed at a Tenon server. The endpoint,
// encoding, room and user come from the page's query string.
import { createRivetKit } from "@rivetkit/react";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";

const query = new URLSearchParams(location.search);
const endpoint = query.get("endpoint") ?? "http://127.0.0.1:6420";
const encoding = query.get("encoding");
const room = query.get("room") ?? "react";
const user = query.get("user") ?? "anonymous";

// `any`: the registry type is Tenon's, which RivetKit's types do not know.
const { useActor } = createRivetKit<any>(
	encoding ? { endpoint, encoding: encoding as "json" | "cbor" | "bare" } : endpoint,
);

function Counter() {
	const actor = useActor({ name: "compat", key: [room], params: { user } });
	const [count, setCount] = useState<number | null>(null);
	const [answer, setAnswer] = useState("");
	actor.useEvent("changed", (value: number) => setCount(value));
	const run = (call: () => Promise<unknown>) =>
		call().then(
			(value) => setAnswer(JSON.stringify(value)),
			(error: { group?: string; code?: string }) => setAnswer(`${error.group}/${error.code}`),
		);
	return (
		<main>
			<p>
				status: <output id="status">{actor.connStatus}</output>
			</p>
			<p>
				count: <output id="count">{count ?? "none"}</output>
			</p>
			<p>
				answer: <output id="answer">{answer}</output>
			</p>
			<button
				type="button"
				id="increment"
				onClick={() => run(() => actor.connection!.increment(1))}
			>
				+1
			</button>
			<button type="button" id="whoami" onClick={() => run(() => actor.connection!.whoami())}>
				who am I
			</button>
			<button type="button" id="connected" onClick={() => run(() => actor.connection!.connected())}>
				who is here
			</button>
			<button type="button" id="fail" onClick={() => run(() => actor.connection!.fail())}>
				fail
			</button>
		</main>
	);
}

createRoot(document.getElementById("root") as HTMLElement).render(
	<StrictMode>
		<Counter />
	</StrictMode>,
);
