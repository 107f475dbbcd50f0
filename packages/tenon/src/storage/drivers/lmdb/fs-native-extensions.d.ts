// The part of fs-native-extensions (which ships no types) that the data
// directory lock uses.
declare module "fs-native-extensions" {
	/** Takes an exclusive (or, with `shared`, a shared) lock on `fd` without waiting; false when held elsewhere. */
	export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
	/** Releases a lock taken on `fd`. */
	export function unlock(fd: number): void;
}
