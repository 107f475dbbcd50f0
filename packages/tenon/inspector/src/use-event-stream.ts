import { useEffect, useState } from "react";
import { actorPath } from "./api.js";
import { followNdjson } from "./ndjson.js";
import type { SentEvent } from "./types.js";

/** Events kept in the page, at most (the newest). */
const MAX_SHOWN = 500;

/**
 * The events the actor sends, newest first, pushed by the server as they
 * are sent (`events/stream`); reopened as the state's stream is (see
 * followNdjson). The server keeps a log only while a stream follows the actor, so
 * the list starts with what other open inspectors saw, if any.
 */
export function useEventStream(actorId: string): {
	events: SentEvent[];
	dropped: number;
	error: string | undefined;
	live: boolean;
	clear: () => void;
} {
	const [events, setEvents] = useState<SentEvent[]>([]);
	const [dropped, setDropped] = useState(0);
	const [error, setError] = useState<string | undefined>(undefined);
	const [live, setLive] = useState(false);
	useEffect(() => {
		setEvents([]);
		setDropped(0);
		const abort = new AbortController();
		let seen = 0;
		followNdjson(actorPath(actorId, "/events/stream"), abort.signal, {
			onOpen: () => setLive(true),
			onLine: (line) => {
				const message = line as {
					events?: SentEvent[];
					dropped?: number;
					error?: { group: string; code: string; message: string };
				};
				if (message.error) {
					setError(`${message.error.group}/${message.error.code}: ${message.error.message}`);
					return;
				}
				// After a reconnect the backlog repeats events already shown.
				const fresh = (message.events ?? []).filter((event) => event.seq > seen);
				if (fresh.length > 0) seen = Math.max(...fresh.map((event) => event.seq));
				if (message.dropped) setDropped((count) => count + (message.dropped ?? 0));
				if (fresh.length > 0)
					setEvents((shown) => [...fresh.reverse(), ...shown].slice(0, MAX_SHOWN));
				setError(undefined);
			},
			onClosed: () => setLive(false),
			onError: setError,
		});
		return () => abort.abort();
	}, [actorId]);
	return { events, dropped, error, live, clear: () => setEvents([]) };
}
