import type { ActorDefinitions } from "../actor/registry-types.js";
import { createClient } from "../client/client.js";
import type { Clock } from "../common/clock.js";
import { createLogger, type Logger, type LogLevel } from "../common/logger.js";
import type { Limits } from "../protocol/limits.js";
import { Runtime } from "../runtime/runtime.js";
import type { CorsOptions } from "../server/cors.js";
import { inProcessClientOptions } from "../server/in-process.js";
import {
	createNodeHandlers,
	listenNode,
	type NodeHandlers,
	type TenonServer,
} from "../server/node-adapter.js";
import { createServerCore, type ServerCore } from "../server/server-core.js";
import { lmdbDriver } from "../storage/drivers/lmdb/index.js";
import type { StorageDriver } from "../storage/interfaces.js";

/** Configuration of a registry. */
export interface RegistryConfig<A extends ActorDefinitions> {
	/** The actors to serve, by name. */
	use: A;
	/** Storage driver. Default: `lmdbDriver()` (data in `TENON_DATA_DIR` or `./.tenon`). */
	storage?: StorageDriver;
	/** Overrides of the protocol limits. */
	limits?: Partial<Limits>;
	/** Send internal error messages to clients (development only). Default: `TENON_EXPOSE_INTERNAL_ERRORS=1`. */
	exposeInternalErrors?: boolean;
	/** Log level. Default: `TENON_LOG_LEVEL` or `info`. */
	logLevel?: LogLevel;
	/** A custom logger (overrides `logLevel`). */
	logger?: Logger;
	/** Path prefix when mounted under another router, e.g. `/api/tenon`. */
	basePath?: string;
	/** Browser origins allowed to call the server (CORS). Default: none. */
	cors?: CorsOptions;
	/**
	 * The read-only inspector API (`/inspector/*`, e.g. workflow journals),
	 * enabled by a bearer token. Default: `TENON_INSPECTOR_TOKEN`, else disabled.
	 */
	inspector?: { token?: string };
}

/** Options of {@link Registry.start}. */
export interface StartOptions {
	/** Port. Default: `TENON_PORT`, `PORT` or 6420; 0 picks a free one. */
	port?: number;
	/** Interface. Default: `TENON_HOST` or `0.0.0.0`. */
	host?: string;
	/** Overrides the registry's storage for this server. */
	storage?: StorageDriver;
	/**
	 * Cluster mode: the URL other nodes reach this one at. Default:
	 * `TENON_ADVERTISE_URL`, else this server's URL (`127.0.0.1` when it listens
	 * on every interface, which suits nodes on one machine).
	 */
	advertise?: string;
}

/** Internal start options: also what the test kit injects (a manual clock). */
export interface RuntimeStartOptions {
	storage?: StorageDriver;
	clock?: Clock;
}

function defaultPort(): number {
	const fromEnv = process.env.TENON_PORT ?? process.env.PORT;
	const port = fromEnv === undefined ? Number.NaN : Number.parseInt(fromEnv, 10);
	return Number.isInteger(port) ? port : 6420;
}

/**
 * A set of actors served together. Start it as a server, or mount its
 * `handler` in any fetch-based router.
 *
 * @example
 * export const registry = setup({ use: { counter, chatRoom } });
 * await registry.start({ port: 6420 });
 */
export class Registry<A extends ActorDefinitions> {
	/** Phantom: the actor definitions, read by `createClient<typeof registry>()`. */
	declare readonly __actors: A;
	readonly config: RegistryConfig<A>;
	#lazy: Promise<{ runtime: Runtime; core: ServerCore }> | undefined;

	constructor(config: RegistryConfig<A>) {
		this.config = config;
	}

	/** Starts the runtime and a core without a listening socket (internal and test kit use). */
	async createRuntime(
		options: RuntimeStartOptions = {},
	): Promise<{ runtime: Runtime; core: ServerCore }> {
		const runtime = await Runtime.start({
			definitions: this.config.use,
			storage: options.storage ?? this.config.storage ?? lmdbDriver(),
			logger:
				this.config.logger ??
				createLogger(this.config.logLevel ? { level: this.config.logLevel } : {}),
			...(options.clock ? { clock: options.clock } : {}),
			...(this.config.limits ? { limits: this.config.limits } : {}),
			...(this.config.exposeInternalErrors === undefined
				? {}
				: { exposeInternalErrors: this.config.exposeInternalErrors }),
		});
		const inspectorToken = this.config.inspector?.token ?? process.env.TENON_INSPECTOR_TOKEN;
		const core = createServerCore(runtime, {
			...(this.config.basePath ? { basePath: this.config.basePath } : {}),
			...(this.config.cors ? { cors: this.config.cors } : {}),
			...(inspectorToken ? { inspectorToken } : {}),
		});
		await runtime.attach(() => createClient(inProcessClientOptions(core)));
		return { runtime, core };
	}

	/**
	 * Starts an HTTP + WebSocket server. Resolves once it listens.
	 *
	 * @example
	 * await using server = await registry.start({ port: 0 });
	 * console.log(server.url);
	 */
	async start(options: StartOptions = {}): Promise<TenonServer> {
		const { runtime, core } = await this.createRuntime(
			options.storage ? { storage: options.storage } : {},
		);
		return this.#listen(runtime, core, options);
	}

	/** Listens for an already created runtime (shared by `start` and the test kit). */
	async listen(
		runtime: Runtime,
		core: ServerCore,
		options: StartOptions = {},
	): Promise<TenonServer> {
		return this.#listen(runtime, core, options);
	}

	async #listen(runtime: Runtime, core: ServerCore, options: StartOptions): Promise<TenonServer> {
		try {
			const server = await listenNode(core, {
				port: options.port ?? defaultPort(),
				host: options.host ?? process.env.TENON_HOST ?? "0.0.0.0",
				maxWebSocketMessageBytes: runtime.limits.maxIncomingMessageBytes,
				beforeClose: () => runtime.stop(),
			});
			if (runtime.cluster) {
				const address =
					options.advertise ??
					process.env.TENON_ADVERTISE_URL ??
					server.url.replace("//localhost:", "//127.0.0.1:");
				await runtime.cluster.join(address);
				runtime.logger.info("joined the cluster", { nodeId: runtime.cluster.nodeId, address });
			}
			runtime.logger.info("tenon listening", { url: server.url, storage: runtime.storageName });
			return server;
		} catch (error) {
			await runtime.stop();
			throw error;
		}
	}

	#lazyRuntime(): Promise<{ runtime: Runtime; core: ServerCore }> {
		this.#lazy ??= this.createRuntime();
		return this.#lazy;
	}

	/**
	 * A Web-standard fetch handler for mounting in Hono, Next.js route handlers,
	 * Express (via an adapter) and the like. Starts the runtime on first use.
	 * WebSockets need {@link Registry.nodeHandlers} (or `start`).
	 *
	 * @example
	 * app.all("/api/tenon/*", (c) => registry.handler(c.req.raw));
	 */
	readonly handler = async (request: Request): Promise<Response> => {
		const { core } = await this.#lazyRuntime();
		return core.fetch(request);
	};

	/**
	 * Node listeners (HTTP and WebSocket upgrade) for an existing `http.Server`,
	 * sharing the runtime that `handler` uses.
	 */
	async nodeHandlers(): Promise<NodeHandlers> {
		const { runtime, core } = await this.#lazyRuntime();
		return createNodeHandlers(core, {
			maxWebSocketMessageBytes: runtime.limits.maxIncomingMessageBytes,
		});
	}

	/** Stops the runtime started by `handler` / `nodeHandlers` (not servers from `start`). */
	async stop(): Promise<void> {
		const lazy = this.#lazy;
		this.#lazy = undefined;
		if (lazy) await (await lazy).runtime.stop();
	}
}

/**
 * Creates a registry from actor definitions.
 *
 * @example
 * export const registry = setup({ use: { counter } });
 */
export function setup<A extends ActorDefinitions>(config: RegistryConfig<A>): Registry<A> {
	for (const [name, definition] of Object.entries(config.use)) {
		if (typeof definition !== "object" || definition === null || !("config" in definition)) {
			throw new Error(
				`'${name}' in setup({ use }) is not an actor definition; create it with actor({...})`,
			);
		}
	}
	return new Registry(config);
}
