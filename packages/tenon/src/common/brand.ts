/**
 * `instanceof` that also holds for another copy of Tenon's class. A process can hold two copies
 * of Tenon (`tenon start` is ES modules; a registry that tsx compiles as CommonJS loads its
 * own), and the CLI's storage driver threw errors the registry's copy took for internal ones
 * (an attacker probe, 2026-11-27). `brand` (a `Symbol.for` key, the same in every copy) sits
 * on the class's prototype, not enumerable: a plain copy of an error (`{ ...error }`) is no
 * instance. Only `base` itself matches by brand; its subclasses keep the plain check.
 */
export function isInstance(cls: object, base: object, brand: symbol, value: unknown): boolean {
	if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
	return (
		cls === base &&
		typeof value === "object" &&
		value !== null &&
		(value as Record<symbol, unknown>)[brand] === true
	);
}

/** Puts `brand` on `cls`'s prototype (see {@link isInstance}). */
export function brandClass(cls: { prototype: object }, brand: symbol): void {
	Object.defineProperty(cls.prototype, brand, { value: true });
}
