import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import type { ActionContext, ActorContext, Conn, ConnectContext } from "../actor/context.js";
import { type ActorDefinition, actor } from "../actor/definition.js";
import { event } from "../actor/events.js";
import type { ActorOptions } from "../actor/options.js";
import type { StandardSchemaV1 } from "../actor/schema.js";
import { ActorError } from "../protocol/errors.js";
import { ActorDocument } from "./document.js";

/** Events a Yjs actor sends its connections. */
const yjsEvents = {
	/** y-protocols sync messages (updates other clients made). */
	yjsSync: event<Uint8Array>(),
	/** y-protocols awareness updates (other clients' cursors, names). */
	yjsAwareness: event<Uint8Array>(),
};

type YjsEvents = typeof yjsEvents;

/** The vars of a Yjs actor: its document, loaded on every wake. */
export interface YjsVars {
	readonly document: ActorDocument;
}

type Ctx<S, CP, CS> = ActionContext<S, CP, CS, YjsVars, YjsEvents>;

/** Options of {@link yjsActor}: the usual connect hooks, plus what only a document has. */
export interface YjsActorConfig<S, CP, CS, A> {
	state?: S;
	connState?: CS;
	connParamsSchema?: StandardSchemaV1;
	/** Who may connect (throw to refuse); see the actor docs. */
	onBeforeConnect?: (
		c: ConnectContext<S, CP, unknown, YjsVars, YjsEvents>,
		params: CP,
	) => void | Promise<void>;
	createConnState?: (
		c: ConnectContext<S, CP, unknown, YjsVars, YjsEvents>,
		params: CP,
	) => CS | Promise<CS>;
	/**
	 * May this connection change the document? Checked for every update it
	 * sends (reading needs only to connect). Default: everyone who connected.
	 */
	canEdit?: (c: Ctx<S, CP, CS>) => boolean;
	/** Logged updates after which the log is folded into one snapshot. Default 100. */
	compactEvery?: number;
	/** More actions beside the document's own (`yjsSync`, `yjsAwareness`). */
	actions?: A & Record<string, (c: Ctx<S, CP, CS>, ...args: never[]) => unknown>;
	onConnect?: (
		c: ActorContext<S, CP, CS, YjsVars, YjsEvents>,
		conn: Conn<CP, CS, YjsEvents>,
	) => void | Promise<void>;
	onDisconnect?: (
		c: ActorContext<S, CP, CS, YjsVars, YjsEvents>,
		conn: Conn<CP, CS, YjsEvents>,
	) => void | Promise<void>;
	options?: ActorOptions;
}

/**
 * An actor that holds a Yjs document (one per document: a note, a drawing, a
 * code file). It is the server of the Yjs sync and awareness protocols
 * (y-protocols, as they are) over its connections: it merges the updates
 * clients send, passes them on to the others, stores each one with the
 * commit of the turn that applied it (so an acknowledged edit survives a
 * crash), and folds the log into a snapshot every `compactEvery` updates.
 * Awareness (cursors, names) is passed on and never stored.
 * Clients use {@link TenonYjsProvider}.
 *
 * @example
 * export const note = yjsActor({
 *   onBeforeConnect: (_c, params: { token: string }) => verify(params.token),
 *   createConnState: (_c, params) => ({ userId: verify(params.token).userId }),
 *   canEdit: (c) => c.conn.state.userId !== "guest",
 * });
 */
export function yjsActor<S = undefined, CP = unknown, CS = undefined, A = {}>(
	config: YjsActorConfig<S, CP, CS, A> = {},
): ActorDefinition<
	// NoInfer: written inline (`use: { note: yjsActor() }`), the registry's
	// contextual type would otherwise infer every parameter as `any`.
	NoInfer<S>,
	NoInfer<CP>,
	NoInfer<CS>,
	YjsVars,
	unknown,
	YjsEvents,
	{},
	NoInfer<A> & {
		yjsSync: (c: Ctx<S, CP, CS>, message: Uint8Array) => Promise<Uint8Array[]>;
		yjsAwareness: (c: Ctx<S, CP, CS>, update: Uint8Array) => void;
		yjsAwarenessSnapshot: (c: Ctx<S, CP, CS>) => Uint8Array | null;
	}
> {
	const compactEvery = config.compactEvery ?? 100;
	const canEdit = config.canEdit ?? (() => true);
	const yjsActions = {
		/** A y-protocols sync message; answered with the messages the server sends back. */
		yjsSync: async (c: Ctx<S, CP, CS>, message: Uint8Array): Promise<Uint8Array[]> => {
			if (!(message instanceof Uint8Array)) throw notBytes("yjsSync");
			const document = c.vars.document;
			const replies = document.sync(message, c.conn.id, canEdit(c));
			await document.written();
			return replies;
		},
		/** An awareness update (this client's cursor, name); passed on to the others, not stored. */
		yjsAwareness: (c: Ctx<S, CP, CS>, update: Uint8Array): void => {
			if (!(update instanceof Uint8Array)) throw notBytes("yjsAwareness");
			const passOn = c.vars.document.awarenessUpdate(update, c.conn.id);
			// One broadcast, encoded and framed once for every connection (a send per
			// connection encoded it again for each). The sender gets its own update
			// back, which y-protocols ignores (the same clock).
			if (passOn.byteLength > 0) c.broadcast("yjsAwareness", passOn);
		},
		/**
		 * Everyone's awareness now (null: nobody's), asked for by a provider once
		 * it has subscribed: an event sent while the connection opens would reach
		 * it before its subscription, and be dropped.
		 */
		yjsAwarenessSnapshot: (c: Ctx<S, CP, CS>): Uint8Array | null =>
			c.vars.document.awarenessSnapshot() ?? null,
	};
	return actor({
		...(config.state === undefined ? {} : { state: config.state }),
		...(config.connState === undefined ? {} : { connState: config.connState }),
		...(config.connParamsSchema === undefined ? {} : { connParamsSchema: config.connParamsSchema }),
		...(config.onBeforeConnect === undefined ? {} : { onBeforeConnect: config.onBeforeConnect }),
		...(config.createConnState === undefined ? {} : { createConnState: config.createConnState }),
		events: yjsEvents,
		createVars: async (c) => {
			const document = await ActorDocument.load(c.kv, compactEvery);
			// Updates a client made go to every other connection (its own already has them).
			document.doc.on("update", (update: Uint8Array, origin: unknown) => {
				const message = syncUpdateMessage(update);
				for (const conn of c.conns.values()) if (conn.id !== origin) conn.send("yjsSync", message);
			});
			return { document };
		},
		...(config.onConnect === undefined ? {} : { onConnect: config.onConnect }),
		onDisconnect: async (c, conn) => {
			const gone = c.vars.document.connectionGone(conn.id);
			if (gone !== undefined) c.broadcast("yjsAwareness", gone);
			await config.onDisconnect?.(c, conn);
		},
		onSleep: (c) => {
			c.vars.document.destroy();
		},
		onDestroy: (c) => {
			c.vars.document.destroy();
		},
		actions: { ...(config.actions as A), ...yjsActions },
		...(config.options === undefined ? {} : { options: config.options }),
	}) as never;
}

function notBytes(action: string): ActorError {
	return new ActorError(
		"request",
		"invalid_yjs_message",
		`Invalid Yjs message: ${action} takes bytes`,
	);
}

/** A y-protocols `update` message carrying `update`. */
function syncUpdateMessage(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	syncProtocol.writeUpdate(encoder, update);
	return encoding.toUint8Array(encoder);
}
