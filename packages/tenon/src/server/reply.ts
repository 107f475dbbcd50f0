// An HTTP answer before it is a Web `Response`: the transport-neutral routes
// return one, the fetch handler turns it into a `Response`, and the Node
// adapter writes it with `writeHead`/`end` (node-incoming.ts).

/** Sets and reads response headers: `Headers` has this shape, and so has {@link ReplyHeaders}. */
export interface MutableHeaders {
	get(name: string): string | null;
	set(name: string, value: string): void;
	/** Adds a value: a header already there gets `, value` (as `Headers#get` shows appended values). */
	append(name: string, value: string): void;
}

/**
 * Response headers by lower-case name; values are joined as `Headers` joins
 * them. A reply has a handful: a flat list, searched in order, costs less
 * than a dictionary (and its copy) per request.
 */
export class ReplyHeaders implements MutableHeaders {
	/** Name, value, name, value, ... (names in lower case). */
	readonly #list: string[] = [];

	constructor(initial?: Record<string, string>) {
		if (initial !== undefined) for (const name in initial) this.set(name, initial[name] as string);
	}

	#indexOf(lower: string): number {
		const list = this.#list;
		for (let i = 0; i < list.length; i += 2) if (list[i] === lower) return i;
		return -1;
	}

	get(name: string): string | null {
		const at = this.#indexOf(name.toLowerCase());
		return at === -1 ? null : (this.#list[at + 1] as string);
	}

	set(name: string, value: string): void {
		const lower = name.toLowerCase();
		const at = this.#indexOf(lower);
		if (at === -1) this.#list.push(lower, value);
		else this.#list[at + 1] = value;
	}

	append(name: string, value: string): void {
		const lower = name.toLowerCase();
		const at = this.#indexOf(lower);
		if (at === -1) this.#list.push(lower, value);
		else this.#list[at + 1] = `${this.#list[at + 1]}, ${value}`;
	}

	/** The headers as `[name, value, name, value, ...]` (a copy, for `writeHead`). */
	toList(): string[] {
		return this.#list.slice();
	}

	/** The headers as a plain object (for `new Response`). */
	toObject(): Record<string, string> {
		const object: Record<string, string> = {};
		const list = this.#list;
		for (let i = 0; i < list.length; i += 2) object[list[i] as string] = list[i + 1] as string;
		return object;
	}
}

/** A complete answer: status, headers and a body already encoded (or none). */
export interface Reply {
	readonly status: number;
	readonly headers: ReplyHeaders;
	readonly body: string | Uint8Array | null;
}

/** The Web `Response` of a reply (what the fetch handler returns). */
export function replyResponse(reply: Reply): Response {
	return new Response(reply.body as BodyInit | null, {
		status: reply.status,
		headers: reply.headers.toObject(),
	});
}
