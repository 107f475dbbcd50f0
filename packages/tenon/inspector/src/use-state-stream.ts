import { useEffect, useState } from "react";
import { actorPath } from "./api.js";
import { followNdjson } from "./ndjson.js";
import type { StateView } from "./types.js";

/**
 * The actor's committed state, pushed by the server after each commit
 * (`state/stream`, newline-delimited JSON); reopened after it ends, later
 * each time it fails, never after a refusal that stays (see followNdjson).
 * `live` is false while it is not connected.
 */
export function useStateStream(
	actorId: string,
	generation: number,
): { data: StateView | undefined; error: string | undefined; live: boolean } {
	const [data, setData] = useState<StateView | undefined>(undefined);
	const [error, setError] = useState<string | undefined>(undefined);
	const [live, setLive] = useState(false);
	// biome-ignore lint/correctness/useExhaustiveDependencies: `generation` restarts the stream on purpose
	useEffect(() => {
		const abort = new AbortController();
		followNdjson(actorPath(actorId, "/state/stream"), abort.signal, {
			onOpen: () => setLive(true),
			onLine: (line) => {
				const message = line as StateView & {
					error?: { group: string; code: string; message: string };
				};
				if (message.error) {
					setError(`${message.error.group}/${message.error.code}: ${message.error.message}`);
				} else {
					setData(message);
					setError(undefined);
				}
			},
			onClosed: () => setLive(false),
			onError: setError,
		});
		return () => abort.abort();
	}, [actorId, generation]);
	return { data, error, live };
}
