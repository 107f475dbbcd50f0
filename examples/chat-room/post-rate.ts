import { UserError } from "tenon";

/**
 * How often people may post to one room, per user and all together, in a sliding window. A
 * room keeps only its latest messages: without a per-user bound one user pushed everyone
 * else's out (a review, 2026-11-27), and with only that, eight guest accounts did it together
 * in half a minute (an attacker probe, 2026-11-27). Past the room's bound, only users who
 * have not posted in the window may (once). Kept in the actor's vars: a restart forgets it.
 */
export class PostRate {
	readonly #byUser = new Map<string, number[]>();
	#room: number[] = [];
	readonly #perUser: number;
	readonly #perRoom: number;
	readonly #windowMs: number;
	readonly #what: string;

	/** `what` names what is counted, in the refusal (messages unless said). */
	constructor(limits: { perUser: number; perRoom: number; windowMs: number; what?: string }) {
		this.#perUser = limits.perUser;
		this.#perRoom = limits.perRoom;
		this.#windowMs = limits.windowMs;
		this.#what = limits.what ?? "messages";
	}

	/** Counts a post by `userId` now and returns true, or returns false (nothing counted). */
	tryTake(userId: string, now = Date.now()): boolean {
		try {
			this.take(userId, now);
			return true;
		} catch {
			return false;
		}
	}

	/** Counts a post by `userId` now, or throws `rate_limited` (nothing counted). */
	take(userId: string, now = Date.now()): void {
		const recent = (at: number) => now - at < this.#windowMs;
		this.#room = this.#room.filter(recent);
		const mine = (this.#byUser.get(userId) ?? []).filter(recent);
		if (mine.length >= this.#perUser)
			throw new UserError(
				`at most ${this.#perUser} ${this.#what} per ${this.#windowMs / 1000} seconds`,
				{
					code: "rate_limited",
				},
			);
		// The room's bound stops those who posted in the window already: a user's first post
		// goes through, so a few accounts that fill the room's budget cannot silence everyone.
		if (this.#room.length >= this.#perRoom && mine.length > 0)
			throw new UserError("the room is busy: try again in a few seconds", { code: "rate_limited" });
		mine.push(now);
		this.#room.push(now);
		this.#byUser.set(userId, mine);
		// Users with nothing recent are forgotten, so the map holds at most the window's posters.
		if (this.#byUser.size > this.#perRoom)
			for (const [user, times] of this.#byUser) if (!times.some(recent)) this.#byUser.delete(user);
	}
}
