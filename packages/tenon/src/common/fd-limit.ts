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
 * How many TCP connections (HTTP and WebSocket) a node holds by default: its
 * limit, but a tenth of the file descriptors stays free for storage.
 */
export function defaultMaxSockets(limit: number): number {
	return withinOpenFiles(limit, 0.9);
}

function withinOpenFiles(limit: number, share: number): number {
	const files = openFileLimit();
	return files === undefined ? limit : Math.max(64, Math.min(limit, Math.floor(files * share)));
}
