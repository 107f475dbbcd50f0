import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import type {
	ActionContext,
	ActorContext,
	Conn,
	ConnectContext,
	CreateContext,
} from "../actor/context.js";
import { type ActorDefinition, actor } from "../actor/definition.js";
import { event } from "../actor/events.js";
import type { ActorOptions } from "../actor/options.js";
import type { StandardSchemaV1 } from "../actor/schema.js";
import { definedOnly } from "../common/defined.js";
import { ActorError } from "../protocol/errors.js";
import { ApplyBudget, type ApplyBudgetRates, DEFAULT_APPLY_RATES } from "./apply-budget.js";
import { AwarenessFanout } from "./awareness-fanout.js";
import { contentMask, type YjsContent } from "./content-kinds.js";
import { ActorDocument } from "./document.js";
import { DOWNLOAD_PART_BYTES, Outbox, type PartLimits, Uploads } from "./parts.js";

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
	/** Messages coming up in parts (larger than a connection frame). */
	readonly uploads: Uploads;
	/** Messages too large for one connection message, waiting to be fetched. */
	readonly outbox: Outbox;
	/** What connections' awareness makes the actor send (awareness-fanout.ts). */
	readonly awarenessFanout: AwarenessFanout;
}

type Ctx<S, CP, CS> = ActionContext<S, CP, CS, YjsVars, YjsEvents>;

/** Options of {@link yjsActor}: the usual connect hooks, plus what only a document has. */
export interface YjsActorConfig<S, CP, CS, A> {
	state?: S;
	connState?: CS;
	connParamsSchema?: StandardSchemaV1;
	/**
	 * Who may create (store) a document (throw to refuse), as an actor's: without it, any
	 * caller who may connect may also create, and a creation opens no connection.
	 */
	onBeforeCreate?: (c: CreateContext, input: unknown) => void | Promise<void>;
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
	/**
	 * Fields the server writes into the `user` of every awareness state a connection
	 * announces, over what the client said (editor bindings show `user.name` and
	 * `user.color` by each cursor), e.g. `(conn) => ({ name: conn.state.userId })`:
	 * then nobody shows up under a name their connection was not given. Default: none
	 * (awareness is what each client says of itself).
	 */
	awarenessUser?: (conn: Conn<CP, CS, YjsEvents>) => Record<string, unknown>;
	/**
	 * The kinds of content clients' updates may insert (content-kinds.ts), e.g. `["text"]`
	 * for a plain-text editor: an update holding anything else is refused with
	 * `request/yjs_content_not_allowed` and nothing of it applies. Default: all. A plain-text
	 * binding given an embed it cannot show (y-codemirror.next loops forever on one) froze
	 * every reader of the document, at every load (an attacker probe, 2026-11-29).
	 */
	allowedContent?: readonly YjsContent[];
	/**
	 * `"refuse"`: updates whose text holds a control character (C0 but tab and line feed, or
	 * DEL; a carriage return above all) are refused, as content not allowed. A CR LF in the
	 * text put CodeMirror's binding out of step with the document for every reader (it counts
	 * CR LF as one line break): their edits landed in the wrong place. Default `"allow"`.
	 */
	controlCharacters?: "allow" | "refuse";
	/** Logged updates after which the log is folded into one snapshot. Default 100. */
	compactEvery?: number;
	/**
	 * Messages larger than a connection message go in parts (docs/collaboration.md):
	 * the largest such message (default 4 MiB, over HTTP too), what an actor's connections
	 * may have half sent at once (default 64 MiB), what its outbox keeps
	 * for connections to fetch (default 256 MiB), and the largest document,
	 * encoded (default 32 MiB).
	 */
	limits?: Partial<PartLimits>;
	/**
	 * The event loop's time clients' updates may take (apply-budget.ts), per
	 * connection and per actor: a burst, and what is regained each second.
	 * Default: a connection 500 ms and 100 ms/s, the actor 1 s and 250 ms/s;
	 * over every Yjs actor of the process, 2 s and 500 ms/s. Past it, updates
	 * are refused with `limit/yjs_busy` until the time is regained.
	 */
	applyBudget?: Partial<ApplyBudgetRates>;
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
		yjsSyncPart: (
			c: Ctx<S, CP, CS>,
			upload: number,
			offset: number,
			total: number,
			bytes: Uint8Array,
		) => Promise<Uint8Array[] | null>;
		yjsSyncFetch: (c: Ctx<S, CP, CS>, id: number, offset: number) => Uint8Array;
		yjsAwareness: (c: Ctx<S, CP, CS>, update: Uint8Array) => void;
		yjsAwarenessSnapshot: (c: Ctx<S, CP, CS>) => Uint8Array | null;
	}
> {
	const compactEvery = config.compactEvery ?? 100;
	const allowedContent = contentMask(config.allowedContent, config.controlCharacters);
	const canEdit = config.canEdit ?? (() => true);
	const limits: Required<PartLimits> = { ...DEFAULT_PART_LIMITS, ...definedOnly(config.limits) };
	// A new client's step 2 carries the whole document through the outbox.
	if (config.limits?.maxDocumentBytes === undefined)
		limits.maxDocumentBytes = Math.min(limits.maxDocumentBytes, limits.maxOutboxBytes);
	else if (!(limits.maxDocumentBytes <= limits.maxOutboxBytes))
		throw new TypeError("yjsActor: limits.maxDocumentBytes must be at most limits.maxOutboxBytes");
	const rates: ApplyBudgetRates = { ...DEFAULT_APPLY_RATES, ...definedOnly(config.applyBudget) };
	// Checks the rates now (a TypeError), not at the first wake.
	new ApplyBudget(rates);
	/** Handles a whole sync message; a reply too large for one message waits in the outbox. */
	const sync = async (c: Ctx<S, CP, CS>, message: Uint8Array): Promise<Uint8Array[]> => {
		const document = c.vars.document;
		// A step 1 (type 0) may make a large answer: not again and again.
		if (message[0] === 0 && !c.conn.isEphemeral) {
			c.vars.outbox.checkAsk(c.conn.id);
			c.vars.outbox.noteAsk(c.conn.id);
		}
		const replies = await document.sync(message, c.conn.id, canEdit(c), !c.conn.isEphemeral);
		await document.written();
		// An HTTP caller gets everything in its reply (bodies may be larger).
		if (c.conn.isEphemeral) return replies;
		return replies.map((reply) =>
			reply.byteLength > DOWNLOAD_PART_BYTES ? c.vars.outbox.put(c.conn.id, reply, false) : reply,
		);
	};
	const yjsActions = {
		/** A y-protocols sync message; answered with the messages the server sends back. */
		yjsSync: async (c: Ctx<S, CP, CS>, message: Uint8Array): Promise<Uint8Array[]> => {
			if (!(message instanceof Uint8Array)) throw notBytes("yjsSync");
			// Over HTTP a body may be larger than a message in parts: the same limit.
			if (message.byteLength > limits.maxMessageBytes)
				throw new ActorError(
					"message",
					"incoming_too_long",
					`A Yjs message of ${message.byteLength} bytes exceeds the limit of ${limits.maxMessageBytes}`,
					{ limit: limits.maxMessageBytes },
				);
			return sync(c, message);
		},
		/**
		 * A part of sync message `upload` (an id that grows per connection), too
		 * large for one frame; the part that completes it answers as the whole
		 * message would, the others with null.
		 */
		yjsSyncPart: async (
			c: Ctx<S, CP, CS>,
			upload: number,
			offset: number,
			total: number,
			bytes: Uint8Array,
		): Promise<Uint8Array[] | null> => {
			if (c.conn.isEphemeral)
				throw new ActorError(
					"request",
					"invalid_yjs_message",
					"Invalid Yjs message: parts go over a connection (over HTTP, send the whole message)",
				);
			// A reader sends only its state vector (step 1): never megabytes.
			if (typeof total === "number" && total > READER_MESSAGE_BYTES && !canEdit(c))
				throw new ActorError("auth", "forbidden", "This connection may not edit the document");
			const whole = c.vars.uploads.add(c.conn.id, upload, offset, total, bytes);
			return whole === undefined ? null : sync(c, whole);
		},
		/** A part of a message the actor kept for this connection (it sent a notice of it). */
		yjsSyncFetch: (c: Ctx<S, CP, CS>, id: number, offset: number): Uint8Array =>
			c.vars.outbox.fetch(c.conn.id, id, offset),
		/** An awareness update (this client's cursor, name); passed on to the others, not stored. */
		yjsAwareness: (c: Ctx<S, CP, CS>, update: Uint8Array): void => {
			if (!(update instanceof Uint8Array)) throw notBytes("yjsAwareness");
			// Awareness is a connection's, and goes when it does: an HTTP call's claim
			// on its client ids never went, and locked the client that owns them out
			// of its cursor and its edits (a review, 2026-11-26).
			if (c.conn.isEphemeral)
				throw new ActorError(
					"request",
					"invalid_yjs_message",
					"Invalid Yjs message: awareness goes over a connection (not over HTTP)",
				);
			c.vars.awarenessFanout.admit(c.conn.id);
			const passOn = c.vars.document.awarenessUpdate(
				update,
				c.conn.id,
				canEdit(c),
				config.awarenessUser?.(c.conn),
			);
			// One broadcast, encoded and framed once for every connection (a send per
			// connection encoded it again for each). The sender gets its own update
			// back, which y-protocols ignores (the same clock).
			if (passOn.byteLength > 0) {
				c.broadcast("yjsAwareness", passOn);
				c.vars.awarenessFanout.charge(c.conn.id, passOn.byteLength, c.conns.size);
			}
		},
		/**
		 * Everyone's awareness now (null: nobody's), asked for by a provider once
		 * it has subscribed: an event sent while the connection opens would reach
		 * it before its subscription, and be dropped.
		 */
		yjsAwarenessSnapshot: (c: Ctx<S, CP, CS>): Uint8Array | null => {
			// Calls over HTTP share one bucket: each has a connection of its own.
			const asker = c.conn.isEphemeral ? HTTP_ASKER : c.conn.id;
			c.vars.awarenessFanout.admit(asker);
			const snapshot = c.vars.document.awarenessSnapshot();
			if (snapshot === undefined) return null;
			c.vars.awarenessFanout.charge(asker, snapshot.byteLength, 1);
			return snapshot;
		},
	};
	return actor({
		...(config.state === undefined ? {} : { state: config.state }),
		...(config.connState === undefined ? {} : { connState: config.connState }),
		...(config.connParamsSchema === undefined ? {} : { connParamsSchema: config.connParamsSchema }),
		...(config.onBeforeCreate === undefined ? {} : { onBeforeCreate: config.onBeforeCreate }),
		...(config.onBeforeConnect === undefined ? {} : { onBeforeConnect: config.onBeforeConnect }),
		...(config.createConnState === undefined ? {} : { createConnState: config.createConnState }),
		events: yjsEvents,
		createVars: async (c) => {
			const document = await ActorDocument.load(
				c.kv,
				compactEvery,
				new ApplyBudget(rates),
				limits.maxDocumentBytes,
			);
			document.allowedContent = allowedContent;
			// Claims outlive a sleep only where connections do (they hibernate).
			await document.restoreClaims(config.options?.hibernateConnections !== false);
			const outbox = new Outbox(limits);
			// Updates a client made go to every other connection (its own already has them).
			document.doc.on("update", (update: Uint8Array, origin: unknown) => {
				const message = syncUpdateMessage(update);
				const sender = typeof origin === "string" ? origin : undefined;
				if (message.byteLength <= DOWNLOAD_PART_BYTES) {
					// One frame, encoded and framed once for every connection: a send per
					// connection encoded it again for each, and a 500 KB paste with 300
					// subscribers on JSON blocked the loop 1.6 s (an attacker probe, 2026-11-25).
					if (sender === undefined) c.broadcast("yjsSync", message);
					else c.broadcastExcept(sender, "yjsSync", message);
					return;
				}
				for (const conn of c.conns.values()) {
					if (conn.id === sender || conn.isEphemeral) continue;
					try {
						conn.send("yjsSync", outbox.put(conn.id, message, true));
					} catch {
						// Past `maxMessageBytes` (it came over HTTP): this connection
						// would miss it; it reconnects and syncs instead.
						conn.disconnect("yjs.update_too_large");
					}
				}
			});
			return {
				document,
				uploads: new Uploads(limits),
				outbox,
				awarenessFanout: new AwarenessFanout(),
			};
		},
		...(config.onConnect === undefined ? {} : { onConnect: config.onConnect }),
		onDisconnect: async (c, conn) => {
			c.vars.uploads.drop(conn.id);
			c.vars.outbox.drop(conn.id);
			c.vars.awarenessFanout.drop(conn.id);
			const gone = c.vars.document.connectionGone(conn.id);
			if (gone !== undefined) c.broadcast("yjsAwareness", gone);
			await config.onDisconnect?.(c, conn);
		},
		onSleep: (c) => {
			c.vars.uploads.dropAll();
			c.vars.document.destroy();
		},
		onDestroy: (c) => {
			c.vars.uploads.dropAll();
			c.vars.document.destroy();
		},
		actions: { ...(config.actions as A), ...yjsActions },
		...(config.options === undefined ? {} : { options: config.options }),
	}) as never;
}

/** The awareness bucket of calls over HTTP (no connection id has a NUL). */
const HTTP_ASKER = "\0http";

/** The largest message in parts from a connection that may not edit (a state vector: a few KiB). */
const READER_MESSAGE_BYTES = 256 * 1024;

const DEFAULT_PART_LIMITS: Required<PartLimits> = {
	maxMessageBytes: 4 * 1024 * 1024,
	// A copy on the verifier's worker takes 8 to 20 times a document's encoding (its heap: 1.5 GiB).
	maxDocumentBytes: 32 * 1024 * 1024,
	maxUploadingBytes: 64 * 1024 * 1024,
	maxOutboxBytes: 256 * 1024 * 1024,
};

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
