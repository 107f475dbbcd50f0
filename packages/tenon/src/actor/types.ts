/** An actor key as contexts expose it: the list of components. */
export type ActorKeyList = readonly string[];
