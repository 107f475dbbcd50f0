// What a registry's servers are set up with, read from its config and the environment: the
// interface and port they listen on, the server core's security settings, the trusted proxies.
import { LOOPBACK_HOSTS } from "../server/browser-guard.js";
import { TrustedProxies } from "../server/client-address.js";
import type { ServerCoreOptions } from "../server/server-core.js";
import type { RegistryConfig } from "./registry.js";

/** The parts of a registry's config read here. */
type ServerConfig = Pick<
	// biome-ignore lint/suspicious/noExplicitAny: read for every registry, whatever its actors.
	RegistryConfig<any>,
	| "basePath"
	| "cors"
	| "admin"
	| "inspector"
	| "clientToken"
	| "metricsToken"
	| "allowedHosts"
	| "rateLimits"
	| "trustedProxies"
>;

/** The default interface: this machine only. */
export const DEFAULT_HOST = "127.0.0.1";

export function isLoopbackHost(host: string): boolean {
	return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function envList(name: string): string[] | undefined {
	const value = process.env[name];
	if (value === undefined || value.trim() === "") return undefined;
	return value
		.split(",")
		.map((item) => item.trim())
		.filter((item) => item !== "");
}

export function defaultPort(): number {
	const fromEnv = process.env.TENON_PORT ?? process.env.PORT;
	const port = fromEnv === undefined ? Number.NaN : Number.parseInt(fromEnv, 10);
	return Number.isInteger(port) ? port : 6420;
}

/** The proxies whose `X-Forwarded-For` is read (config, else the environment). */
export function trustedProxiesFrom(config: ServerConfig): TrustedProxies | undefined {
	const entries = config.trustedProxies ?? envList("TENON_TRUSTED_PROXIES");
	return entries === undefined || entries.length === 0 ? undefined : new TrustedProxies(entries);
}

/** The server core's security settings, from the config and the environment. */
export function coreOptionsFrom(
	config: ServerConfig,
	bindHost: string | undefined,
): ServerCoreOptions {
	const nonEmpty = (value: string | undefined) => (value === "" ? undefined : value);
	const configured = config.allowedHosts ?? envList("TENON_ALLOWED_HOSTS");
	// Unconfigured, a server the test kit or `start()` runs answers to localhost names: a
	// DNS-rebinding page's host name is refused. Beyond loopback it answers to IP addresses
	// too, configured or not (DNS rebinding needs a name): health probes and metrics
	// scrapers reach a node by its address, and got 403 once allowedHosts was set (an SRE
	// walkthrough, 2026-11-28).
	const allowedHosts = configured ?? (bindHost !== undefined ? LOOPBACK_HOSTS : undefined);
	const allowIpHosts = bindHost !== undefined && !isLoopbackHost(bindHost);
	return {
		...(config.basePath ? { basePath: config.basePath } : {}),
		...(config.cors ? { cors: config.cors } : {}),
		access: {
			adminToken: nonEmpty(config.admin?.token ?? process.env.TENON_ADMIN_TOKEN),
			inspectorToken: nonEmpty(config.inspector?.token ?? process.env.TENON_INSPECTOR_TOKEN),
			clientToken: nonEmpty(config.clientToken ?? process.env.TENON_CLIENT_TOKEN),
			metricsToken: nonEmpty(config.metricsToken ?? process.env.TENON_METRICS_TOKEN),
		},
		...(allowedHosts ? { allowedHosts } : {}),
		...(allowIpHosts ? { allowIpHosts } : {}),
		...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
	};
}
