import type { Encoding } from "../../protocol/encoding.js";
import type { ConnTransport } from "./connection.js";

/**
 * The transport of a stored connection whose socket another node holds,
 * until that node links it here: frames (events the actor sends meanwhile,
 * already through the output gate) wait, in order, and go out right after
 * the link opens. Bounded: past `maxFrames` the connection is closed on
 * arrival instead (its client reconnects and resyncs), never silently thinned.
 */
export class PendingLinkTransport implements ConnTransport {
	readonly encoding: Encoding;
	readonly #maxFrames: number;
	#frames: (string | Uint8Array)[] = [];
	#overflowed = false;
	#closeWith: [number, string] | undefined;

	constructor(encoding: Encoding, maxFrames: number) {
		this.encoding = encoding;
		this.#maxFrames = maxFrames;
	}

	send(frame: string | Uint8Array): void {
		if (this.#closeWith !== undefined || this.#overflowed) return;
		if (this.#frames.length >= this.#maxFrames) {
			this.#overflowed = true;
			this.#frames = [];
			return;
		}
		this.#frames.push(frame);
	}

	close(code: number, reason: string): void {
		this.#closeWith ??= [code, reason];
	}

	/**
	 * Takes what waited, for the link that arrived: the frames in order, and
	 * the close to apply after them (or a close instead, if too many waited).
	 */
	take(): { frames: (string | Uint8Array)[]; close: [number, string] | undefined } {
		const frames = this.#frames;
		this.#frames = [];
		if (this.#overflowed) return { frames: [], close: [1011, "conn.overflowed"] };
		return { frames, close: this.#closeWith };
	}
}
