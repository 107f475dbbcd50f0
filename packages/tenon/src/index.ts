// Public entry point of `tenon`: defining actors and serving them.

export type {
	ActionContext,
	ActorContext,
	ActorContextBase,
	ActorWebSocket,
	CallerRequest,
	Conn,
	ConnectContext,
	CreateContext,
	CreateStateContext,
} from "./actor/context.js";
export {
	type ActionGroup,
	type ActorConfig,
	ActorDefinition,
	type AnyActorDefinition,
	actor,
} from "./actor/definition.js";
export {
	type AccessCheck,
	type AnyEvents,
	type EventArgsOf,
	type EventDecls,
	type EventName,
	type EventOptions,
	type EventToken,
	event,
} from "./actor/events.js";
export type { ActorKv, KvDecoded, KvEncoding, KvKey, KvListOptions, KvValue } from "./actor/kv.js";
export type { ActorOptions } from "./actor/options.js";
export {
	type ActorQueue,
	type CompletableQueueMessage,
	type DeadLetter,
	type InternalQueueToken,
	internalQueue,
	type QueueDecls,
	type QueueMessage,
	type QueueOptions,
	type QueueToken,
	queue,
	type ReceiveOptions,
} from "./actor/queues.js";
export {
	isRunProvider,
	type ReceiveGate,
	type RunHost,
	type RunProvider,
	type RunQueue,
	type RunQueueMessage,
	type RunRewind,
	type RunStorage,
} from "./actor/run-host.js";
export type {
	ActorCron,
	ActorSchedule,
	CronEveryOptions,
	CronJob,
	CronRun,
	CronSetOptions,
	FireInfo,
	ScheduledEvent,
} from "./actor/schedule.js";
export type { SchemaIssue, StandardSchemaV1 } from "./actor/schema.js";
export {
	createLogger,
	type LogFields,
	type LogFormat,
	type Logger,
	type LoggerOptions,
	type LogLevel,
	type LogLevels,
	type LogSink,
} from "./common/logger.js";
export { flushSpans } from "./observability/deferred-span.js";
export { configureTracing, SPAN_NAMES, type TracingOptions } from "./observability/tracing.js";
export { useOpenTelemetry } from "./observability/use-open-telemetry.js";
export { ActorError, UserError, type UserErrorOptions } from "./protocol/errors.js";
export type { ActorKey } from "./protocol/keys.js";
export type { Limits } from "./protocol/limits.js";
export { Registry, type RegistryConfig, type StartOptions, setup } from "./registry/registry.js";
export type { CorsOptions } from "./server/cors.js";
export type { DecodeBudget } from "./server/decode-time.js";
export type { NodeHandlers, TenonServer } from "./server/node-adapter.js";
export type { Rate } from "./server/rate-limit.js";
export type { RateLimitOptions } from "./server/request-guard.js";
export type { FallbackHandler, FallbackInfo } from "./server/server-core.js";
export type { CommitLogOptions } from "./storage/drivers/lmdb/index.js";
export { type LmdbDriverOptions, lmdbDriver } from "./storage/drivers/lmdb/index.js";
export type { CommitLogLimits } from "./storage/drivers/lmdb/log-writer.js";
export { memoryDriver } from "./storage/drivers/memory/index.js";
export {
	type ClusterOptions,
	type PostgresDriverOptions,
	postgresDriver,
} from "./storage/drivers/postgres/index.js";
export {
	type ActorDirectory,
	type ActorOwner,
	type ActorRecord,
	type ActorStore,
	type AlarmIndex,
	type ClusterMembership,
	type CommitItem,
	type CommitResult,
	OwnedElsewhereError,
	type Placement,
	type StorageDriver,
	type StorageHandles,
} from "./storage/interfaces.js";
