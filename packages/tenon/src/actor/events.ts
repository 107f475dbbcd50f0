import type { ActionContext } from "./context.js";

/**
 * A typed event declaration. The type parameter is the event's payload, or a
 * tuple for several arguments.
 *
 * @example
 * events: { message: event<Message>(), moved: event<[x: number, y: number]>() }
 */
export interface EventToken<T> {
	readonly __eventPayload?: T;
	/** Decides whether a connection may subscribe (see {@link EventOptions}). */
	readonly canSubscribe?: AccessCheck | undefined;
}

/**
 * Decides whether a caller may do something: `c.conn` is the caller's
 * connection (its `state` holds what the connect hooks learned about it).
 * Return false (or throw) to refuse with `auth/forbidden`.
 */
// `any`: the check sees the actor's context without its type parameters (as RivetKit's SchemaHook does).
export type AccessCheck = (
	// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
	c: ActionContext<any, any, any, any, any, any, any>,
) => boolean | Promise<boolean>;

/** Options of {@link event}. */
export interface EventOptions {
	/**
	 * Runs when a connection subscribes to the event; false refuses the
	 * subscription (an `Error` frame `auth/forbidden` with
	 * `metadata.eventName`; the connection stays open).
	 *
	 * @example
	 * events: { secret: event<string>({ canSubscribe: (c) => c.conn.state.role === "admin" }) }
	 */
	canSubscribe?: AccessCheck;
}

/** Declares an event with payload type `T` (see {@link EventToken}). */
export function event<T>(options: EventOptions = {}): EventToken<T> {
	return options.canSubscribe === undefined ? {} : { canSubscribe: options.canSubscribe };
}

/** A map of event declarations. */
// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
export type EventDecls = Record<string, EventToken<any>>;

/** The events of an actor that declares none: any name, any arguments. */
// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
export type AnyEvents = Record<string, EventToken<any>>;

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * Argument list of an event payload: a tuple stays a tuple, anything else is one argument.
 * Not distributed over a union: `event<A | B>()` takes one `A | B` (it took `[A] | [B]`,
 * which refused a value typed `A | B`: a typing walkthrough, 2026-11-29).
 */
export type EventArgs<T> =
	IsAny<T> extends true
		? // biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
			any[]
		: [T] extends [readonly unknown[]]
			? TupleArgs<T>
			: // A union of tuples and other values: one argument, or a tuple member's arguments (as
				// before 2026-11-29, so `event<[number, string] | string>()` takes `1, "x"` still).
				[T] | TupleArgs<Extract<T, readonly unknown[]>>;

/** A tuple payload's arguments (each of a union of tuples); an array is one argument. */
type TupleArgs<T> = T extends readonly unknown[]
	? number extends T["length"]
		? [T]
		: [...T]
	: never;

/** Event names of a declaration map. */
export type EventName<E> = keyof E & string;

/** Argument list of event `K` in declaration map `E`. */
export type EventArgsOf<E, K extends keyof E> =
	// biome-ignore lint/suspicious/noExplicitAny: a type-level wildcard: `unknown` would fail the check for specific types (function parameters are contravariant).
	E[K] extends EventToken<infer T> ? EventArgs<T> : any[];
