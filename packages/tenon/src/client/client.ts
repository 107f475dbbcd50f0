import type { ActorKey } from "../protocol/keys.js";
import { normalizeKey } from "../protocol/keys.js";
import type { ActorConnImpl } from "./connection.js";
import { actorIdOf, type ConnRegistry, createHandle, HandleCore } from "./handle.js";
import { type ClientOptions, ClientTransport } from "./transport.js";
import type {
	AnyRegistry,
	Client,
	CreateOptions,
	GetOrCreateOptions,
	HandleOptions,
} from "./types.js";

function paramsOf(options: HandleOptions<unknown> | undefined): {
	params?: unknown;
	getParams?: () => unknown;
} {
	return {
		...(options?.params !== undefined ? { params: options.params } : {}),
		...(options?.getParams !== undefined ? { getParams: options.getParams } : {}),
	};
}

/**
 * Creates a typed client for a Tenon (or RivetKit) server.
 *
 * @example
 * import type { registry } from "./registry";
 * const client = createClient<typeof registry>("http://localhost:6420");
 * const counter = client.counter.getOrCreate(["my-counter"]);
 * await counter.increment(1);
 */
export function createClient<R extends AnyRegistry = AnyRegistry>(
	endpointOrOptions: string | ClientOptions = "http://localhost:6420",
): Client<R> {
	const options =
		typeof endpointOrOptions === "string" ? { endpoint: endpointOrOptions } : endpointOrOptions;
	const transport = new ClientTransport(options);
	const conns = new Set<ActorConnImpl>();
	const sockets = new Set<WebSocket>();
	// After dispose(), what the client still opens is closed at once: code that kept the client
	// (a fallback's callerClient, used after its request ended) left connections open for good.
	let disposed = false;
	const registry: ConnRegistry = {
		add: (conn) => {
			if (disposed) void conn.dispose();
			else conns.add(conn);
		},
		remove: (conn) => conns.delete(conn),
		socket: (socket) => {
			if (disposed) {
				closeDisposed(socket);
				return;
			}
			sockets.add(socket);
			socket.addEventListener("close", () => sockets.delete(socket));
		},
	};

	const accessorFor = (name: string) => ({
		get(key?: ActorKey, handleOptions?: HandleOptions<unknown>) {
			const target = {
				kind: "key",
				name,
				key: normalizeKey(key),
				method: "get",
				hasInput: false,
			} as const;
			return createHandle(new HandleCore(transport, target, paramsOf(handleOptions), registry));
		},
		getOrCreate(key?: ActorKey, handleOptions?: GetOrCreateOptions<unknown, unknown>) {
			const hasInput = handleOptions?.createWithInput !== undefined;
			const target = {
				kind: "key",
				name,
				key: normalizeKey(key),
				method: "getOrCreate",
				hasInput,
				...(hasInput ? { input: handleOptions?.createWithInput } : {}),
			} as const;
			return createHandle(new HandleCore(transport, target, paramsOf(handleOptions), registry));
		},
		async create(key?: ActorKey, handleOptions?: CreateOptions<unknown, unknown>) {
			const body: Record<string, unknown> = {
				name,
				key: transport.serializeKey(normalizeKey(key)),
				runner_name_selector: "default",
				crash_policy: "sleep",
			};
			if (handleOptions?.input !== undefined)
				body.input = transport.encodeInput(handleOptions.input);
			// The params go along: the actor's onBeforeCreate sees them.
			const params = handleOptions?.getParams
				? await handleOptions.getParams()
				: handleOptions?.params;
			const answer = await transport.request(
				"POST",
				`${transport.endpoint}/actors?namespace=${encodeURIComponent(transport.namespace)}`,
				{
					body,
					headers: params === undefined ? {} : { "x-rivet-conn-params": JSON.stringify(params) },
				},
			);
			const target = {
				kind: "id",
				actorId: actorIdOf((answer as { actor?: unknown } | undefined)?.actor),
			} as const;
			return createHandle(new HandleCore(transport, target, paramsOf(handleOptions), registry));
		},
		getForId(actorId: string, handleOptions?: HandleOptions<unknown>) {
			return createHandle(
				new HandleCore(transport, { kind: "id", actorId }, paramsOf(handleOptions), registry),
			);
		},
	});

	const accessors = new Map<string, unknown>();
	const dispose = async () => {
		disposed = true;
		for (const socket of sockets) closeDisposed(socket);
		sockets.clear();
		await Promise.all([...conns].map((conn) => conn.dispose()));
	};
	return new Proxy({} as Client<R>, {
		get(_target, property) {
			if (typeof property === "symbol" || property === "then") return undefined;
			if (property === "dispose") return dispose;
			let accessor = accessors.get(property);
			if (accessor === undefined) {
				accessor = accessorFor(property);
				accessors.set(property, accessor);
			}
			return accessor;
		},
	});
}

/**
 * Closes a raw socket of a disposed client; one still connecting once it opens (`ws` fails
 * a socket closed while connecting with an error event, fatal without a listener).
 */
function closeDisposed(socket: WebSocket): void {
	if (socket.readyState === 0)
		socket.addEventListener("open", () => socket.close(1000, "client disposed"));
	else if (socket.readyState === 1) socket.close(1000, "client disposed");
}
