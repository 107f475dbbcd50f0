// What every Yjs document of this process holds of messages coming up in
// parts (parts.ts, Uploads). Each document limits its own
// (`maxUploadingBytes`, 64 MiB), but nothing added them up: one editor with
// 16 connections to each of 8 notes held 524 MiB of half-sent uploads, its
// notes kept awake (an attacker probe, 2026-11-28).

/** One document's share of the budget. */
export interface UploadAccount {
	bytes: number;
}

/** Half-sent upload bytes of every document sharing it, at most `max`. */
export class UploadBudget {
	#total = 0;
	/** A document dropped without closing its uploads (an actor reset) gives its bytes back. */
	readonly #finalizer = new FinalizationRegistry<UploadAccount>((account) =>
		this.release(account, account.bytes),
	);

	constructor(readonly max: number) {}

	/** An account for `owner`, whose bytes come back when it is collected if it did not give them. */
	open(owner: object): UploadAccount {
		const account = { bytes: 0 };
		this.#finalizer.register(owner, account);
		return account;
	}

	get total(): number {
		return this.#total;
	}

	/** True if `bytes` more fit. */
	fits(bytes: number): boolean {
		return this.#total + bytes <= this.max;
	}

	take(account: UploadAccount, bytes: number): void {
		account.bytes += bytes;
		this.#total += bytes;
	}

	release(account: UploadAccount, bytes: number): void {
		account.bytes -= bytes;
		this.#total -= bytes;
	}
}

/**
 * The process's budget: 256 MiB of half-sent uploads over all documents (four
 * documents' worth of their own limit), past which a part is refused with
 * `limit/yjs_uploads_full` (the provider sends it again later).
 */
export const PROCESS_UPLOAD_BUDGET = new UploadBudget(256 * 1024 * 1024);
