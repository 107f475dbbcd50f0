import type { ActorDefinitions } from "../actor/registry-types.js";
import { createClient } from "../client/client.js";
import { createConnectionLinks } from "../cluster/conn-links.js";
import type { Clock } from "../common/clock.js";
import type { Settable } from "../common/defined.js";
import {
	createLogger,
	type LogFormat,
	type Logger,
	type LogLevel,
	type LogLevels,
	moduleLogger,
} from "../common/logger.js";
import { joinLogsToTraces } from "../observability/log-trace-context.js";
import { tracingReady } from "../observability/otel-api.js";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import { errors } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import { ActorGateway } from "../runtime/actor-gateway.js";
import { Runtime } from "../runtime/runtime.js";
import type { AccessOptions } from "../server/access.js";
import { normalizeBasePath } from "../server/base-path.js";
import type { CorsOptions } from "../server/cors.js";
import { errorResponse } from "../server/http-util.js";
import { inProcessClientOptions } from "../server/in-process.js";
import { type MountedClient, mountedClientInfo } from "../server/mounted-client.js";
import {
	createNodeHandlers,
	listenNode,
	type NodeHandlers,
	type TenonServer,
} from "../server/node-adapter.js";
import type { RateLimitOptions } from "../server/request-guard.js";
import { createServerCore, type FallbackHandler, type ServerCore } from "../server/server-core.js";
import { lmdbDriver } from "../storage/drivers/lmdb/index.js";
import type { StorageDriver } from "../storage/interfaces.js";
import {
	coreOptionsFrom,
	DEFAULT_HOST,
	defaultPort,
	isLoopbackHost,
	trustedProxiesFrom,
} from "./server-settings.js";
import { drain, drainMsFrom, joinMounted, joinWithin, stopActors } from "./shutdown.js";

/** Configuration of a registry. */
export interface RegistryConfig<A extends ActorDefinitions> {
	/** The actors to serve, by name. */
	/** The actors, by name; `then` and `dispose` are the client's own (refused). */
	use: A & { readonly then?: never; readonly dispose?: never };
	/** Storage driver. Default: `lmdbDriver()` (data in `TENON_DATA_DIR` or `./.tenon`). */
	storage?: StorageDriver;
	/** Overrides of the protocol limits. */
	limits?: Settable<Limits> | undefined;
	/** Send internal error messages to clients (development only). Default: `TENON_EXPOSE_INTERNAL_ERRORS=1`. */
	exposeInternalErrors?: boolean;
	/** Default log level. Default: `TENON_LOG_LEVEL`'s default entry, or `info`. */
	logLevel?: LogLevel;
	/**
	 * Log levels per module (`server`, `runtime`, `actor`, `cluster`,
	 * `storage`, `workflow`, `db`, `mcp`), over `TENON_LOG_LEVEL`'s
	 * `module=level` entries. Example: `{ runtime: "debug" }`.
	 */
	logLevels?: LogLevels;
	/**
	 * Log line format on stderr: `json` (one object per line) or `pretty`.
	 * Default: `TENON_LOG_FORMAT`, else `pretty` in a terminal and `json` otherwise.
	 */
	logFormat?: LogFormat;
	/** A custom logger, e.g. `createLogger({ sink })` (overrides `logLevel`, `logLevels`, `logFormat`). */
	logger?: Logger;
	/** Path prefix when mounted under another router, e.g. `/api/tenon`. */
	basePath?: string;
	/**
	 * Browser origins allowed to call the server (CORS), also the origins
	 * allowed to change state and open WebSockets from a browser. Default:
	 * none (pages of the server's own origin only).
	 */
	cors?: CorsOptions;
	/**
	 * The operator credential (at least 16 characters). It guards listing and
	 * destroying actors, the inspector and every other management route;
	 * without it those routes are disabled. Default: `TENON_ADMIN_TOKEN`.
	 */
	admin?: { token?: string };
	/**
	 * The inspector (web app at `/inspector/`, API under `/inspector/*`; see
	 * docs/inspector.md), opened by the admin token or `token`, which only
	 * reads. Default: `TENON_INSPECTOR_TOKEN`. `turnHistory`: commits kept per
	 * actor for time travel (the actors' `turnHistory` option's default; 0, off).
	 */
	inspector?: { token?: string; turnHistory?: number };
	/**
	 * A shared secret every client request must carry (`Authorization:
	 * Bearer`, `x-rivet-token`, `rvt-token` or the `@token` of a gateway id),
	 * for servers only other services call. Default: `TENON_CLIENT_TOKEN`,
	 * else none (the token, if any, goes to your hooks as `c.request.token`).
	 */
	clientToken?: string;
	/**
	 * Host names (the `Host` header, without port) the server answers to;
	 * `*.example.com` matches subdomains. Default: `TENON_ALLOWED_HOSTS`
	 * (comma-separated); else `localhost`, `*.localhost`, `127.0.0.1` and
	 * `[::1]`, plus any IP address when listening beyond loopback (DNS
	 * rebinding needs a host name). Mounted handlers answer to any host unless set.
	 */
	allowedHosts?: readonly string[];
	/** Per-address and per-connection rate limits (see docs/security.md). */
	rateLimits?: RateLimitOptions;
	/**
	 * Reverse proxies and load balancers in front of the server (addresses or CIDR ranges):
	 * for requests from them, the client's address (every per-address limit's) is read from
	 * `X-Forwarded-For`. Default: `TENON_TRUSTED_PROXIES` (comma-separated), else none. Node
	 * server only (`start()`, `nodeHandlers()`).
	 */
	trustedProxies?: readonly string[];
	/**
	 * Prometheus metrics at `GET /metrics`, read with the admin, the
	 * inspector or the metrics token (see docs/observability.md). Default: on
	 * when one of them is configured; `false` turns them off (nothing is recorded).
	 */
	metrics?: boolean;
	/**
	 * A token that reads `/metrics` and nothing else, for a scraper's
	 * configuration (the inspector token reads every actor's data). Default:
	 * `TENON_METRICS_TOKEN`, else none.
	 */
	metricsToken?: string;
}

/** Options of {@link Registry.start}. */
export interface StartOptions {
	/** Port. Default: `TENON_PORT`, `PORT` or 6420; 0 picks a free one. */
	port?: number;
	/**
	 * Interface. Default: `TENON_HOST`, else `127.0.0.1` (this machine only).
	 * Use `0.0.0.0` to accept connections from other machines (containers,
	 * a LAN): then configure `admin.token` and `allowedHosts` as well.
	 */
	host?: string;
	/** Overrides the registry's storage for this server. */
	storage?: StorageDriver;
	/**
	 * Cluster mode: the URL other nodes reach this one at. Default:
	 * `TENON_ADVERTISE_URL`, else this server's URL (`127.0.0.1` when it listens
	 * on every interface, which suits nodes on one machine).
	 */
	advertise?: string;
	/**
	 * Requests no Tenon route answers (static files of your web app, a login
	 * endpoint) go here; undefined answers 404. They get the same Host, rate
	 * and cross-site checks as Tenon's own routes.
	 *
	 * @example
	 * await registry.start({ fallback: (request) => serveMyApp(request) });
	 */
	fallback?: FallbackHandler;
	/**
	 * On `close()`, how long the server keeps accepting and serving while
	 * `GET /ready` answers 503, before it stops accepting (ms): time for load
	 * balancers that probe readiness to take it out of rotation. Default:
	 * `TENON_DRAIN_MS`, else 0.
	 */
	drainMs?: number;
}

/** Internal start options: also what the test kit injects (a manual clock). */
export interface RuntimeStartOptions {
	storage?: StorageDriver;
	clock?: Clock;
	/** The interface the server will listen on (it picks the default allowed hosts). */
	bindHost?: string;
	/** See {@link StartOptions.fallback}. */
	fallback?: StartOptions["fallback"];
	/** Overrides the registry's `logLevel` (the test kit's option). */
	logLevel?: LogLevel;
}

/**
 * The registry's metrics when they are on (an operator token is configured,
 * unless `enabled` is false); prom-client is loaded only then.
 */
async function createMetrics(
	enabled: boolean | undefined,
	access: AccessOptions | undefined,
): Promise<PrometheusMetrics | undefined> {
	const readable =
		access?.adminToken !== undefined ||
		access?.inspectorToken !== undefined ||
		access?.metricsToken !== undefined;
	if (!(enabled ?? readable)) return undefined;
	const { PrometheusMetrics } = await import("../observability/prometheus.js");
	return new PrometheusMetrics();
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
		const coreOptions = coreOptionsFrom(this.config, options.bindHost);
		const metrics = await createMetrics(this.config.metrics, coreOptions.access);
		// The optional OpenTelemetry API is found (or not) before the first request.
		await tracingReady();
		joinLogsToTraces();
		const runtime = await Runtime.start({
			definitions: this.config.use,
			storage: options.storage ?? this.config.storage ?? lmdbDriver(),
			logger:
				this.config.logger ??
				createLogger({
					...((options.logLevel ?? this.config.logLevel)
						? { level: options.logLevel ?? this.config.logLevel }
						: {}),
					...(this.config.logLevels ? { levels: this.config.logLevels } : {}),
					...(this.config.logFormat ? { format: this.config.logFormat } : {}),
				}),
			...(options.clock ? { clock: options.clock } : {}),
			...(this.config.limits ? { limits: this.config.limits } : {}),
			...(this.config.exposeInternalErrors === undefined
				? {}
				: { exposeInternalErrors: this.config.exposeInternalErrors }),
			...(metrics ? { metrics } : {}),
			...(this.config.inspector?.turnHistory === undefined
				? {}
				: { turnHistory: this.config.inspector.turnHistory }),
		});
		const gateway = new ActorGateway(runtime);
		// In a cluster, connections whose sockets other nodes hold reach the actor through links.
		if (runtime.cluster)
			gateway.setLinks(
				createConnectionLinks(
					runtime.cluster,
					moduleLogger(runtime.logger, "cluster"),
					normalizeBasePath(this.config.basePath),
				),
			);
		const basePath = normalizeBasePath(this.config.basePath);
		const core: ServerCore = createServerCore(gateway, {
			...coreOptions,
			...(options.fallback ? { fallback: options.fallback } : {}),
			...(metrics ? { metrics } : {}),
			callerClient: (onBehalfOf) =>
				createClient(inProcessClientOptions(core, 0, basePath, onBehalfOf)),
		});
		await runtime.attach((callDepth) =>
			createClient(inProcessClientOptions(core, callDepth, basePath)),
		);
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
		const bindHost = options.host ?? process.env.TENON_HOST ?? DEFAULT_HOST;
		drainMsFrom(options.drainMs); // refused before storage is opened
		const { runtime, core } = await this.createRuntime({
			...(options.storage ? { storage: options.storage } : {}),
			...(options.fallback ? { fallback: options.fallback } : {}),
			bindHost,
		});
		return this.#listen(runtime, core, { ...options, host: bindHost });
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
		let listening: TenonServer | undefined;
		try {
			const host = options.host ?? process.env.TENON_HOST ?? DEFAULT_HOST;
			const drainMs = drainMsFrom(options.drainMs);
			const limits = runtime.limits;
			const server = await listenNode(core, {
				port: options.port ?? defaultPort(),
				host,
				incomingMessageTimeoutMs: limits.incomingMessageTimeoutMs,
				trustedProxies: trustedProxiesFrom(this.config),
				timeouts: {
					headersMs: limits.headersTimeoutMs,
					requestMs: limits.requestTimeoutMs,
					keepAliveMs: limits.keepAliveTimeoutMs,
				},
				lingeringCloseMs: limits.lingeringCloseMs,
				sockets: {
					maxSockets: limits.maxSockets,
					// Nodes on PostgreSQL connect to each other (forwarded calls, passed-through
					// sockets), and a socket is not known to be a peer's before its first request:
					// there the limit applies only when set.
					maxSocketsPerAddress:
						runtime.cluster && this.config.limits?.maxSocketsPerAddress === undefined
							? 0
							: limits.maxSocketsPerAddress,
				},
				logger: moduleLogger(runtime.logger, "server"),
				drain: (cut) => drain(runtime, drainMs, server.url, cut),
				beforeClose: () => stopActors(runtime, server.url),
			});
			listening = server;
			if (runtime.cluster) {
				const address =
					options.advertise ??
					process.env.TENON_ADVERTISE_URL ??
					server.url.replace("//localhost:", "//127.0.0.1:");
				await joinWithin(runtime.cluster, address);
				moduleLogger(runtime.logger, "cluster").info("joined the cluster", {
					nodeId: runtime.cluster.nodeId,
					address,
				});
			}
			moduleLogger(runtime.logger, "server").info("tenon listening", {
				url: server.url,
				storage: runtime.storageName,
			});
			this.#logExposure(runtime, host);
			runtime.readiness.serving();
			return server;
		} catch (error) {
			// Listening already (the join failed): the port is given back, not left half started.
			if (listening !== undefined) await listening.close();
			else await runtime.stop();
			throw error;
		}
	}

	/** Says on start what is reachable: management on or off, and a warning off loopback. */
	#logExposure(runtime: Runtime, host: string): void {
		const options = coreOptionsFrom(this.config, host);
		const log = moduleLogger(runtime.logger, "server");
		log.info(
			options.access?.adminToken
				? "management API enabled (admin token)"
				: "management API disabled: set TENON_ADMIN_TOKEN (or admin.token) to list and destroy actors",
		);
		if (!isLoopbackHost(host)) {
			log.warn("listening beyond this machine", {
				host,
				allowedHosts: options.allowIpHosts
					? "IP addresses and localhost only: set allowedHosts (TENON_ALLOWED_HOSTS) to serve host names"
					: options.allowedHosts,
				management: options.access?.adminToken ? "admin token" : "disabled",
			});
		}
	}

	#lazyRuntime(): Promise<{ runtime: Runtime; core: ServerCore }> {
		// Mounted in another server: ready (`/ready`) once the runtime is up (and has joined
		// its cluster: a mounted node on PostgreSQL never renewed its leases before 2026-11-28).
		this.#lazy ??= this.createRuntime().then(async (created) => {
			await joinMounted(created.runtime);
			created.runtime.readiness.serving();
			return created;
		});
		return this.#lazy;
	}

	/**
	 * A Web-standard fetch handler for mounting in Hono, Next.js route handlers,
	 * Express (via an adapter) and the like. Starts the runtime on first use.
	 * WebSockets need {@link Registry.nodeHandlers} (or `start`).
	 *
	 * `client` says who sent the request: `{ remoteAddress }`, or Hono's
	 * node-server env (`c.env`). Without it, per-address limits do not apply
	 * to the request and hooks see no `c.request.remoteAddress` (warned once).
	 *
	 * @example
	 * app.all("/api/tenon/*", (c) => registry.handler(c.req.raw, c.env));
	 */
	readonly handler = async (request: Request, client?: MountedClient): Promise<Response> => {
		if (this.#stopped && this.#lazy === undefined) {
			return errorResponse(errors.shuttingDown(), "json", false);
		}
		const { runtime, core } = await this.#lazyRuntime();
		const info = mountedClientInfo(client);
		if (info === undefined && !this.#warnedNoAddress) {
			this.#warnedNoAddress = true;
			runtime.logger.warn(
				"registry.handler got a request without the client's address: per-address limits do not apply to such requests; pass it (registry.handler(request, { remoteAddress }), or c.env in Hono on Node)",
			);
		}
		return core.fetch(request, info);
	};
	#warnedNoAddress = false;

	/**
	 * Node listeners (HTTP and WebSocket upgrade) for an existing `http.Server`,
	 * sharing the runtime that `handler` uses.
	 */
	async nodeHandlers(): Promise<NodeHandlers> {
		if (this.#stopped && this.#lazy === undefined)
			throw new Error("the registry was stopped before nodeHandlers(): it serves nothing");
		const { runtime, core } = await this.#lazyRuntime();
		return createNodeHandlers(core, {
			incomingMessageTimeoutMs: runtime.limits.incomingMessageTimeoutMs,
			trustedProxies: trustedProxiesFrom(this.config),
			lingeringCloseMs: runtime.limits.lingeringCloseMs,
		});
	}

	/**
	 * Stops the runtime started by `handler` / `nodeHandlers` (not servers from `start`), for
	 * good: they answer 503 `core/shutting_down` after (until 2026-11-29, a new runtime).
	 */
	async stop(): Promise<void> {
		this.#stopped = true;
		const lazy = this.#lazy;
		if (lazy) await (await lazy).runtime.stop();
	}
	#stopped = false;
}

/**
 * Creates a registry from actor definitions.
 *
 * @example
 * export const registry = setup({ use: { counter } });
 */
export function setup<A extends ActorDefinitions>(config: RegistryConfig<A>): Registry<A> {
	for (const [name, definition] of Object.entries(config.use)) {
		// The client answers these itself: `client.dispose` is its own, `await client` reads
		// `then`; such an actor was unreachable, `client.dispose.get()` failed (a walkthrough).
		if (name === "then" || name === "dispose")
			throw new Error(`Actor name '${name}' is reserved: the client has a member of that name`);
		if (typeof definition !== "object" || definition === null || !("config" in definition)) {
			throw new Error(
				`'${name}' in setup({ use }) is not an actor definition; create it with actor({...})`,
			);
		}
	}
	return new Registry(config);
}
