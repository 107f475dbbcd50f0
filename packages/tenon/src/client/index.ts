// Public entry point of `tenon/client`. Runs in Node and browsers; imports
// nothing from the server.

export type * from "../agent/types.js";
export { useOpenTelemetry } from "../observability/use-open-telemetry.js";
export type { Encoding } from "../protocol/encoding.js";
export { ActorError } from "../protocol/errors.js";
export type { ActorKey } from "../protocol/keys.js";
export {
	AgentChat,
	type AgentChatView,
	type AgentConnection,
	type AgentConnectionLike,
} from "./agent-chat.js";
export { createClient } from "./client.js";
export type { MessageRate } from "./send-pace.js";
export type { ClientOptions, WebSocketConstructor } from "./transport.js";
export type {
	ActionCall,
	ActionCallers,
	ActionNameOf,
	ActorAccessor,
	ActorConn,
	ActorConnMethods,
	ActorHandle,
	ActorHandleMethods,
	ActorsOf,
	AnyRegistry,
	Client,
	ConnParamsOf,
	ConnStatus,
	CreateOptions,
	EventsOf,
	GetOrCreateOptions,
	HandleOptions,
	InputOf,
	PresenceDataOf,
	PresenceOf,
	QueueSendNoWaitOptions,
	QueueSendResult,
	QueueSendWaitOptions,
	SharedStateOf,
} from "./types.js";
