// Public entry point of `tenon/yjs`: Yjs documents held by actors, and the
// provider that connects a client's document to one. Needs `yjs` and
// `y-protocols` (peer dependencies).

export { type YjsActorConfig, type YjsVars, yjsActor } from "./actor.js";
export type { YjsContent } from "./content-kinds.js";
export { ActorDocument } from "./document.js";
export {
	TenonYjsProvider,
	type TenonYjsProviderOptions,
	type YjsConnection,
} from "./provider.js";
export type { ProviderEventMap, ProviderStatus } from "./provider-events.js";
