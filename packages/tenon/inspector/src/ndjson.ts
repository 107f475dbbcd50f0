import { storedToken } from "./api.js";

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
		const body = (await response.json().catch(() => ({}))) as { message?: string };
		throw new Error(body.message ?? `HTTP ${response.status}`);
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
