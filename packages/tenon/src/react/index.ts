// Public entry point of `tenon/react`: typed React hooks over a Tenon client.
// Importing it touches no browser API, so it is safe in server rendering
// (the hooks connect in effects, which only run in the browser).

export { type UseAgentChatResult, useAgentChat } from "./agent-chat.js";
export { type CacheEntry, ConnectionCache } from "./connection-cache.js";
export {
	createTenonReact,
	type TenonReact,
	type UseActorOptions,
	type UseActorResult,
	type UsePresenceResult,
} from "./hooks.js";
