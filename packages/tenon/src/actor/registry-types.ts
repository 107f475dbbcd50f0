import type { AnyActorDefinition } from "./definition.js";

/** The map of actor definitions a registry serves. */
export type ActorDefinitions = Record<string, AnyActorDefinition>;
