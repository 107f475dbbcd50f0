import { readFileSync } from "node:fs";

/**
 * The process's soft limit on open files, where the system tells it
 * (`/proc/self/limits` on Linux); undefined elsewhere. Node has no API for it.
 */
export function openFileLimit(): number | undefined {
	try {
		const limits = readFileSync("/proc/self/limits", "utf8");
		const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
		if (!match || match[1] === "unlimited") return undefined;
		return Number(match[1]);
	} catch {
		return undefined;
	}
}

/**
 * How many WebSockets a node takes by default: its limit, but never so many
 * that sockets use up the file descriptors the server needs for everything
 * else (HTTP requests, storage, the health check): a fifth stays free.
 */
export function defaultMaxConnections(limit: number): number {
	return withinOpenFiles(limit, 0.8);
}

/**
 * How many TCP connections (HTTP and WebSocket) a node holds by default: all
 * but a tenth of the file descriptors, which stay free for storage; 0 (no
 * limit) where the open-file limit is unknown.
 */
export function defaultMaxSockets(): number {
	return withinOpenFiles(0, 0.9);
}

/** `limit` (0: none), lowered to `share` of the open-file limit where that is known. */
function withinOpenFiles(limit: number, share: number): number {
	const files = openFileLimit();
	if (files === undefined) return limit;
	const within = Math.max(64, Math.floor(files * share));
	return limit === 0 ? within : Math.min(limit, within);
}
