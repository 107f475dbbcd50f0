import { ApiError, authChecked, describeError, storedToken } from "./api.js";

/**
 * Reads a newline-delimited JSON stream of the API, calling `onLine` for
 * each line (blank keepalive lines are skipped). Resolves when the stream
 * ends; `onOpen` runs once the server answered.
 */
export async function readNdjson(
	path: string,
	signal: AbortSignal,
	onOpen: () => void,
	onLine: (line: unknown) => void,
): Promise<void> {
	const response = await fetch(path, {
		headers: { authorization: `Bearer ${storedToken() ?? ""}` },
		signal,
		cache: "no-store",
	});
	if (!response.ok || response.body === null) {
		const body = (await response.json().catch(() => ({}))) as {
			group?: string;
			code?: string;
			message?: string;
		};
		throw authChecked(
			new ApiError(
				response.status,
				body.group ?? "http",
				body.code ?? String(response.status),
				body.message ?? `HTTP ${response.status}`,
			),
		);
	}
	onOpen();
	const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
	let buffered = "";
	for (;;) {
		const { done, value } = await reader.read();
		if (done) return;
		buffered += value;
		let newline = buffered.indexOf("\n");
		while (newline >= 0) {
			const line = buffered.slice(0, newline).trim();
			buffered = buffered.slice(newline + 1);
			newline = buffered.indexOf("\n");
			if (line !== "") onLine(JSON.parse(line));
		}
	}
}

/**
 * Follows a stream of the API for as long as `signal` is not aborted: reopened after it
 * ends, a second after the first time and twice as long each time it fails again (up to
 * 30 s; a stream that opened starts over at a second). It stops for good when the server
 * refuses it for a reason asking again cannot change (401/403: the token; 404: the actor
 * is gone), reported through `onError`. Before 2026-11-29 each stream was asked again every
 * second whatever the answer: a 20 MB state was read again every second for as long as
 * its page was open (`inspector/state_too_large`), and a dead token was sent every second.
 */
export function followNdjson(
	path: string,
	signal: AbortSignal,
	handlers: {
		onOpen: () => void;
		onLine: (line: unknown) => void;
		onClosed: () => void;
		onError: (message: string) => void;
	},
): void {
	let delay = FIRST_RETRY_MS;
	let timer: ReturnType<typeof setTimeout> | undefined;
	signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
	const open = async () => {
		try {
			await readNdjson(
				path,
				signal,
				() => {
					delay = FIRST_RETRY_MS;
					handlers.onOpen();
				},
				handlers.onLine,
			);
		} catch (caught) {
			if (signal.aborted) return;
			handlers.onError(describeError(caught));
			if (caught instanceof ApiError && [401, 403, 404].includes(caught.status)) {
				handlers.onClosed();
				return;
			}
		}
		handlers.onClosed();
		if (signal.aborted) return;
		timer = setTimeout(() => void open(), delay);
		delay = Math.min(delay * 2, MAX_RETRY_MS);
	};
	void open();
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
