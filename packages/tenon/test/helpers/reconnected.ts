/** A connection whose status can be watched (a client's `ActorConn`). */
interface Watched {
	onStatusChange(listener: (status: string) => void): () => void;
}

/** Resolves once `conn` lost its socket and is connected again. */
export function reconnected(conn: Watched): Promise<void> {
	return new Promise((resolve) => {
		let lost = false;
		const stop = conn.onStatusChange((status) => {
			if (status !== "connected") lost = true;
			else if (lost) {
				stop();
				resolve();
			}
		});
	});
}
