import { useEffect, useState } from "react";
import { actorPath, storedToken } from "./api.js";
import type { StateView } from "./types.js";

/**
 * The actor's committed state, pushed by the server after each commit
 * (`state/stream`, newline-delimited JSON); reconnects after a second when
 * the stream ends. `live` is false while it is not connected.
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
		let retry: ReturnType<typeof setTimeout> | undefined;
		const connect = async () => {
			try {
				const response = await fetch(actorPath(actorId, "/state/stream"), {
					headers: { authorization: `Bearer ${storedToken() ?? ""}` },
					signal: abort.signal,
					cache: "no-store",
				});
				if (!response.ok || response.body === null) {
					const body = (await response.json().catch(() => ({}))) as { message?: string };
					throw new Error(body.message ?? `HTTP ${response.status}`);
				}
				setLive(true);
				const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
				let buffered = "";
				for (;;) {
					const { done, value } = await reader.read();
					if (done) break;
					buffered += value;
					let newline = buffered.indexOf("\n");
					while (newline >= 0) {
						const line = buffered.slice(0, newline).trim();
						buffered = buffered.slice(newline + 1);
						newline = buffered.indexOf("\n");
						if (line === "") continue;
						const message = JSON.parse(line) as StateView & {
							error?: { group: string; code: string; message: string };
						};
						if (message.error) {
							setError(`${message.error.group}/${message.error.code}: ${message.error.message}`);
						} else {
							setData(message);
							setError(undefined);
						}
					}
				}
			} catch (caught) {
				if (abort.signal.aborted) return;
				setError(caught instanceof Error ? caught.message : String(caught));
			}
			setLive(false);
			if (!abort.signal.aborted) retry = setTimeout(() => void connect(), 1_000);
		};
		void connect();
		return () => {
			abort.abort();
			if (retry !== undefined) clearTimeout(retry);
		};
	}, [actorId, generation]);
	return { data, error, live };
}
