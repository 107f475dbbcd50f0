// What the runner and the broadcast's receiving processes tell each other
// (bench/lib/fanout.ts and bench/clients/fanout-receiver.ts), over Node's IPC.

/** Monotonic milliseconds: one clock for every process on the machine (CLOCK_MONOTONIC). */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** One broadcast round as the server saw it (monotonic ms), from the probe in the server process (bench/servers/probe.ts). */
export interface ServerFanout {
	/** The first WebSocket message the server received after arming: the trigger. */
	triggerAt: number | null;
	/** The first frame the server handed to a socket after the trigger. */
	firstWriteAt: number | null;
	/** When the last frame had been handed to its socket (`ws.send` returned). */
	lastWriteAt: number | null;
	/** Frames written while armed (the events and the trigger's reply). */
	writes: number;
}

/** Which connections a receiving process opens, and how. */
export type ReceiverConnections = {
	/** Connections opened at once (some servers refuse a burst of upgrades). */
	openConcurrency: number;
} & (
	| {
			/** Raw WebSockets speaking the bench's text protocol ("tick <round>"). */
			kind: "ws";
			url: string;
	  }
	| {
			/** Connections of an actor client, subscribed to its "tick" event. */
			kind: "actor";
			/** "tenon" for Tenon's client, else the URL of a module exporting a RivetKit `createClient`. */
			client: string;
			endpoint: string;
			actor: string;
			key: string | string[];
			/** What arrives each round: the "tick" event (default), or shared state whose `tick` is the round. */
			via?: "event" | "sharedState";
	  }
);

/** What one receiving process gets as its argument: its share of the connections. */
export type ReceiverSpec = ReceiverConnections & {
	/** Connections this process holds. */
	count: number;
};

/** Runner to receiver. */
export type ToReceiver = { type: "close" };

/** Receiver to runner. */
export type ToRunner =
	| { type: "ready" }
	| { type: "error"; message: string }
	/** Every connection of this process got round `round`'s event (monotonic ms). */
	| { type: "round"; round: number; firstAt: number; lastAt: number };
