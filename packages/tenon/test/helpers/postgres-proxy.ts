// A TCP proxy in front of the test PostgreSQL: a test takes the database away
// from a node (every connection cut, new ones refused) and brings it back on
// the same port, or sees each chunk a client sends first and may answer it
// itself (to terminate a connection at an exact moment).
import net from "node:net";
import { POSTGRES_URL } from "./postgres.js";

/** Sees a chunk from the client before PostgreSQL does: true when it handled it (not forwarded). */
export type Intercept = (chunk: Buffer, client: net.Socket, upstream: net.Socket) => boolean;

export class PostgresProxy {
	readonly #sockets = new Set<net.Socket>();
	readonly #intercept: Intercept | undefined;
	#server: net.Server | undefined;
	#port = 0;

	constructor(intercept?: Intercept) {
		this.#intercept = intercept;
	}

	/** Listens (on the same port as before, after {@link down}). */
	async up(): Promise<void> {
		const target = new URL(POSTGRES_URL);
		const server = net.createServer((client) => {
			const upstream = net.connect(Number(target.port || 5432), target.hostname);
			const gone = () => {
				client.destroy();
				upstream.destroy();
			};
			for (const socket of [client, upstream]) {
				this.#sockets.add(socket);
				socket.on("close", () => {
					this.#sockets.delete(socket);
					gone();
				});
				socket.on("error", gone);
			}
			upstream.on("data", (chunk: Buffer) => client.write(chunk));
			client.on("data", (chunk: Buffer) => {
				if (this.#intercept?.(chunk, client, upstream) !== true) upstream.write(chunk);
			});
		});
		await new Promise<void>((resolve) => server.listen(this.#port, "127.0.0.1", resolve));
		this.#port = (server.address() as net.AddressInfo).port;
		this.#server = server;
	}

	/** Cuts every connection and stops listening. */
	async down(): Promise<void> {
		const server = this.#server;
		this.#server = undefined;
		for (const socket of this.#sockets) socket.destroy();
		if (server) await new Promise((resolve) => server.close(resolve));
	}

	/** The database's URL through the proxy. */
	get url(): string {
		const url = new URL(POSTGRES_URL);
		url.hostname = "127.0.0.1";
		url.port = String(this.#port);
		return url.toString();
	}
}
