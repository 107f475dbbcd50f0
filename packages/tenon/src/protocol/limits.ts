/**
 * Size limits the server enforces. Every breach is a clear `group/code` error,
 * never a crash or a silent truncation. Defaults follow PROTOCOL.md.
 */
export interface Limits {
	/** Largest WebSocket message a client may send. */
	maxIncomingMessageBytes: number;
	/** Largest message (action response or event) the server will send. */
	maxOutgoingMessageBytes: number;
	/** Largest HTTP request body. */
	maxHttpBodyBytes: number;
	/** Largest connection params (JSON) in a header or sub-protocol. */
	maxConnParamsBytes: number;
	/** Largest actor input (encoded). */
	maxInputBytes: number;
	/** Largest single key component, in UTF-8 bytes. */
	maxKeyComponentBytes: number;
	/** Largest key (all components), in UTF-8 bytes. */
	maxKeyBytes: number;
	/** Largest action or event name, in UTF-8 bytes. */
	maxNameBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The default limits. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
	maxIncomingMessageBytes: 64 * KiB,
	maxOutgoingMessageBytes: MiB,
	maxHttpBodyBytes: 20 * MiB,
	maxConnParamsBytes: 4 * KiB,
	maxInputBytes: 4 * MiB,
	maxKeyComponentBytes: 128,
	maxKeyBytes: KiB,
	maxNameBytes: 256,
});
