import { errors } from "../protocol/errors.js";

/** How a request names its actor. */
export type ActorTarget =
	| { kind: "id"; actorId: string }
	| { kind: "key"; name: string; key: string[]; method: "get" | "getOrCreate"; input?: Uint8Array };

const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws `request/invalid_query` for a malformed namespace. */
export function validateNamespace(namespace: string): string {
	if (!NAMESPACE_PATTERN.test(namespace)) {
		throw errors.invalidQuery("namespace must be 1-64 characters of A-Z, a-z, 0-9, _ or -");
	}
	return namespace;
}
