import type { ActorKey } from "../protocol/keys.js";
import { normalizeKey } from "../protocol/keys.js";
import type { ActorConnImpl } from "./connection.js";
import { actorIdOf, type ConnRegistry, createHandle, HandleCore } from "./handle.js";
import { type ClientOptions, ClientTransport } from "./transport.js";
import type { Client, CreateOptions, GetOrCreateOptions, HandleOptions } from "./types.js";

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
export function createClient<R>(
	endpointOrOptions: string | ClientOptions = "http://localhost:6420",
): Client<R> {
	const options =
		typeof endpointOrOptions === "string" ? { endpoint: endpointOrOptions } : endpointOrOptions;
	const transport = new ClientTransport(options);
	const conns = new Set<ActorConnImpl>();
	const registry: ConnRegistry = {
		add: (conn) => conns.add(conn),
		remove: (conn) => conns.delete(conn),
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
