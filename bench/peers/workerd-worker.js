// The Durable Objects side of the benchmark, run by workerd through Miniflare.
// Same workloads as Tenon's bench registry: a counter whose reply leaves after
// its write is confirmed (the output gate), a broadcast room, an idle object.

export class Counter {
	constructor(state) {
		this.state = state;
	}

	/**
	 * With `relaxed`, the put does not hold the reply (allowUnconfirmed): the
	 * reply can leave before the write is on disk.
	 */
	async increment(relaxed = false) {
		const count = ((await this.state.storage.get("count")) ?? 0) + 1;
		await this.state.storage.put("count", count, { allowUnconfirmed: relaxed });
		return count;
	}

	async fetch(request) {
		const action = new URL(request.url).pathname.split("/")[3];
		if (request.headers.get("Upgrade") === "websocket") {
			const [client, server] = Object.values(new WebSocketPair());
			server.accept();
			const relaxed = action === "ws-relaxed";
			// Each message is a request id; the reply is "id count".
			server.addEventListener("message", async (event) => {
				server.send(`${event.data} ${await this.increment(relaxed)}`);
			});
			return new Response(null, { status: 101, webSocket: client });
		}
		if (action === "increment") return Response.json(await this.increment());
		if (action === "sleep") {
			// Evicts the object from memory; the next request loads it from storage.
			this.state.abort("sleep");
		}
		return new Response("unknown action", { status: 404 });
	}
}

export class Room {
	constructor(state) {
		this.state = state;
		this.sockets = new Set();
	}

	async fetch(_request) {
		const [client, server] = Object.values(new WebSocketPair());
		server.accept();
		this.sockets.add(server);
		server.addEventListener("close", () => this.sockets.delete(server));
		// "ping <at>": count it durably, then send "tick <at>" to every socket.
		server.addEventListener("message", async (event) => {
			const [kind, at] = String(event.data).split(" ");
			if (kind !== "ping") return server.send("ok");
			const sent = ((await this.state.storage.get("sent")) ?? 0) + 1;
			await this.state.storage.put("sent", sent);
			const tick = `tick ${at}`;
			for (const socket of this.sockets) socket.send(tick);
		});
		return new Response(null, { status: 101, webSocket: client });
	}
}

/**
 * The hibernation suite's object, on the WebSocket Hibernation API: the
 * runtime holds the sockets and may evict the object while they stay open;
 * a message recreates it. "id" gets "id <wake>" after a durable write, where
 * <wake> names this instance of the object (new after every eviction).
 */
export class Lobby {
	constructor(ctx) {
		this.ctx = ctx;
		this.wake = Math.random().toString(36).slice(2);
	}

	async fetch() {
		const [client, server] = Object.values(new WebSocketPair());
		this.ctx.acceptWebSocket(server);
		return new Response(null, { status: 101, webSocket: client });
	}

	async webSocketMessage(ws, message) {
		const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
		await this.ctx.storage.put("n", n);
		ws.send(`${message} ${this.wake}`);
	}

	async webSocketClose(ws, code) {
		ws.close(code, "bye");
	}
}

export class Idle {
	async fetch() {
		return new Response("0");
	}
}

export default {
	// /<class>/<key>/<action>
	async fetch(request, env) {
		const [, kind, key] = new URL(request.url).pathname.split("/");
		const namespace = { counter: env.COUNTER, room: env.ROOM, idle: env.IDLE, lobby: env.LOBBY }[
			kind
		];
		if (!namespace || !key) return new Response("not found", { status: 404 });
		return namespace.get(namespace.idFromName(key)).fetch(request);
	},
};
