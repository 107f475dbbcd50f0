// tenon/react is safe to import and render on a server: no browser API at
// import, no connection during a server render (the hooks connect in effects).
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { createTenonReact } from "../../src/react/index.js";
import type { boardRegistry } from "../browser/react-hooks/board.js";

it("renders on the server without connecting", () => {
	const client = createClient<typeof boardRegistry>("http://127.0.0.1:1");
	const { useActor, useActorState, usePresence, connections } = createTenonReact(client);
	// biome-ignore lint/correctness/noComponentHookFactories: a component made once for this test, after its client.
	function Board() {
		const { connection, status } = useActor({
			name: "board",
			key: ["ssr"],
			params: { user: "ssr" },
		});
		const state = useActorState(connection);
		const presence = usePresence(connection);
		return createElement(
			"p",
			null,
			`${status}:${state?.notes.length ?? "none"}:${presence.others.length}`,
		);
	}
	expect(renderToString(createElement(Board))).toBe("<p>idle:none:0</p>");
	expect(connections.size).toBe(0);
	expect(typeof (globalThis as { window?: unknown }).window).toBe("undefined");
});
