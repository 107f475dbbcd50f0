/**
 * A typed event declaration. The type parameter is the event's payload, or a
 * tuple for several arguments.
 *
 * @example
 * events: { message: event<Message>(), moved: event<[x: number, y: number]>() }
 */
export interface EventToken<T> {
	readonly __eventPayload?: T;
}

/** Declares an event with payload type `T` (see {@link EventToken}). */
export function event<T>(): EventToken<T> {
	return {};
}

/** A map of event declarations. */
export type EventDecls = Record<string, EventToken<any>>;

/** The events of an actor that declares none: any name, any arguments. */
export type AnyEvents = Record<string, EventToken<any>>;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** Argument list of an event payload: a tuple stays a tuple, anything else is one argument. */
export type EventArgs<T> =
	IsAny<T> extends true
		? any[]
		: T extends readonly unknown[]
			? number extends T["length"]
				? [T]
				: [...T]
			: [T];

/** Event names of a declaration map. */
export type EventName<E> = keyof E & string;

/** Argument list of event `K` in declaration map `E`. */
export type EventArgsOf<E, K extends keyof E> =
	E[K] extends EventToken<infer T> ? EventArgs<T> : any[];
