// The arguments of MCP tool calls are untrusted input (from a model, or
// whoever holds the token): the published JSON Schemas are closed (no
// unknown properties), and a `__proto__` key or too deep a nesting is refused
// before anything walks the arguments recursively.

import type { StandardSchemaV1 } from "../actor/schema.js";

/** How deep tool arguments may nest; deeper input is refused before any walk recurses. */
export const MAX_ARGUMENT_DEPTH = 64;

/** One argument problem, in the shape Tenon's `request/invalid_args` carries. */
export type ArgumentIssue = { message: string; path: string };

/** The input JSON Schema a Standard JSON Schema library produces (draft 2020-12, MCP's default). */
export function standardJsonSchema(
	name: string,
	schema: StandardSchemaV1,
): Record<string, unknown> {
	const standard: unknown = schema["~standard"];
	const converter = isRecord(standard) ? standard.jsonSchema : undefined;
	if (!isRecord(converter) || typeof converter.input !== "function") {
		throw new Error(
			`mcpHandler: tool "${name}": the input schema has no Standard JSON Schema (~standard.jsonSchema); use a library that has one (zod >= 4.2) or set inputJsonSchema`,
		);
	}
	const jsonSchema: unknown = converter.input({ target: "draft-2020-12" });
	if (!isRecord(jsonSchema)) throw new Error(`mcpHandler: tool "${name}": bad JSON Schema`);
	return jsonSchema;
}

// JSON Schema keywords whose values are schemas: maps of them, lists of them, single ones.
const SCHEMA_MAPS = new Set([
	"properties",
	"patternProperties",
	"$defs",
	"definitions",
	"dependentSchemas",
]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
const SCHEMA_VALUES = new Set([
	"items",
	"additionalItems",
	"additionalProperties",
	"unevaluatedProperties",
	"unevaluatedItems",
	"propertyNames",
	"contains",
	"not",
	"if",
	"then",
	"else",
]);

/**
 * A copy of `schema` in which every object that lists `properties` and says
 * nothing about others (`additionalProperties`, `patternProperties`) refuses
 * them, so the published schema says what the handler enforces. Members of
 * an `allOf` stay open: each only lists its share of the properties.
 */
export function closeObjects(schema: unknown, inAllOf: boolean): unknown {
	if (Array.isArray(schema)) return schema.map((item) => closeObjects(item, inAllOf));
	if (!isRecord(schema)) return schema;
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(schema)) {
		if (key === "__proto__") continue;
		if (SCHEMA_MAPS.has(key) && isRecord(value)) {
			const map: Record<string, unknown> = {};
			for (const [name, item] of Object.entries(value)) {
				if (name !== "__proto__") map[name] = closeObjects(item, false);
			}
			out[key] = map;
		} else if (SCHEMA_LISTS.has(key) || SCHEMA_VALUES.has(key)) {
			out[key] = closeObjects(value, key === "allOf");
		} else {
			out[key] = value;
		}
	}
	const open =
		"additionalProperties" in schema ||
		"patternProperties" in schema ||
		"unevaluatedProperties" in schema;
	if (!inAllOf && isRecord(schema.properties) && !open) out.additionalProperties = false;
	return out;
}

/**
 * Properties of `value` that `schema` does not declare, as issues. A key is
 * known when a branch that applies to objects lists it, matches it with
 * `patternProperties`, allows others (`additionalProperties` not false) or
 * says nothing about properties at all. Branches of `anyOf`/`oneOf` are
 * pooled: the Standard Schema then decides which one the value is.
 */
export function unknownProperties(value: unknown, root: Record<string, unknown>): ArgumentIssue[] {
	const issues: ArgumentIssue[] = [];
	walkKnown(value, [root], root, "", issues, 0);
	return issues;
}

function walkKnown(
	value: unknown,
	schemas: unknown[],
	root: Record<string, unknown>,
	path: string,
	issues: ArgumentIssue[],
	depth: number,
): void {
	if (typeof value !== "object" || value === null || depth > MAX_ARGUMENT_DEPTH) return;
	const views: Record<string, unknown>[] = [];
	for (const schema of schemas) expandBranches(schema, root, views, 0);
	if (Array.isArray(value)) {
		const arrays = views.filter((view) => admitsType(view, "array"));
		value.forEach((item, index) => {
			const children = arrays.flatMap((view) => itemSchemas(view, index));
			walkKnown(item, children, root, `${path}[${index}]`, issues, depth + 1);
		});
		return;
	}
	const objects = views.filter((view) => admitsType(view, "object"));
	if (objects.length === 0) return;
	for (const [key, item] of Object.entries(value)) {
		const childPath = path === "" ? key : `${path}.${key}`;
		const children: unknown[] = [];
		let known = false;
		for (const view of objects) {
			const found = propertySchemas(view, key);
			if (found === undefined) continue;
			known = true;
			children.push(...found);
		}
		if (!known) {
			if (issues.length < 20)
				issues.push({ message: `Unknown property '${key}'`, path: childPath });
			continue;
		}
		walkKnown(item, children, root, childPath, issues, depth + 1);
	}
}

/** The schemas that apply to property `key` under `view`, or undefined when `view` refuses it. */
function propertySchemas(view: Record<string, unknown>, key: string): unknown[] | undefined {
	const { properties, patternProperties, additionalProperties } = view;
	const declaresKeys = properties !== undefined || patternProperties !== undefined;
	if (isRecord(properties) && Object.hasOwn(properties, key)) return [properties[key]];
	const matched: unknown[] = [];
	if (isRecord(patternProperties)) {
		for (const [pattern, schema] of Object.entries(patternProperties)) {
			if (matchesPattern(pattern, key)) matched.push(schema);
		}
	}
	if (matched.length > 0) return matched;
	if (additionalProperties !== undefined && additionalProperties !== false) {
		return [additionalProperties];
	}
	// A branch that says nothing about properties (`{}`, `{ type: "object" }`) takes any.
	return !declaresKeys && additionalProperties === undefined ? [] : undefined;
}

/** Compiled `patternProperties` patterns (they come from the tools' schemas; null when invalid). */
const patterns = new Map<string, RegExp | null>();

function matchesPattern(pattern: string, key: string): boolean {
	let regex = patterns.get(pattern);
	if (regex === undefined) {
		try {
			regex = new RegExp(pattern, "u");
		} catch {
			regex = null;
		}
		patterns.set(pattern, regex);
	}
	return regex?.test(key) ?? false;
}

/** The schemas of array item `index` under `view` (2020-12 `prefixItems`/`items`, or draft-07 tuples). */
function itemSchemas(view: Record<string, unknown>, index: number): unknown[] {
	const { prefixItems, items, additionalItems } = view;
	if (Array.isArray(prefixItems) && index < prefixItems.length) return [prefixItems[index]];
	if (Array.isArray(items)) return index < items.length ? [items[index]] : [additionalItems];
	return [items];
}

/** True unless `view` has a `type` that excludes `type`. */
function admitsType(view: Record<string, unknown>, type: "object" | "array"): boolean {
	const declared = view.type;
	if (declared === undefined) return true;
	return Array.isArray(declared) ? declared.includes(type) : declared === type;
}

/** Adds `schema` and, flattened, its `$ref` target and `anyOf`/`oneOf`/`allOf` branches to `views`. */
function expandBranches(
	schema: unknown,
	root: Record<string, unknown>,
	views: Record<string, unknown>[],
	hops: number,
): void {
	// Bounded so a `$ref` cycle ends; real schemas nest combinators a few levels at most.
	if (!isRecord(schema) || hops > 32 || views.length > 256) return;
	const branches: unknown[] = [];
	if (typeof schema.$ref === "string") branches.push(resolveRef(schema.$ref, root));
	for (const keyword of ["anyOf", "oneOf", "allOf"]) {
		const list = schema[keyword];
		if (Array.isArray(list)) branches.push(...list);
	}
	// A pure combinator or reference says nothing itself: only its branches count.
	const onlyCombines =
		branches.length > 0 &&
		schema.properties === undefined &&
		schema.patternProperties === undefined &&
		schema.additionalProperties === undefined &&
		schema.items === undefined &&
		schema.prefixItems === undefined;
	if (!onlyCombines) views.push(schema);
	for (const branch of branches) expandBranches(branch, root, views, hops + 1);
}

/** A local `$ref` (`#`, `#/$defs/Name`); anything else resolves to an open schema. */
function resolveRef(ref: string, root: Record<string, unknown>): unknown {
	if (ref === "#") return root;
	if (!ref.startsWith("#/")) return {};
	let node: unknown = root;
	for (const raw of ref.slice(2).split("/")) {
		const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		if (!isRecord(node) || !Object.hasOwn(node, segment)) return {};
		node = node[segment];
	}
	return node;
}

/**
 * Most values (and keys) the tool calls of one request may hold, together.
 * The arguments are walked three times before an actor sees them (here, for
 * unknown properties, by the schema): an attacker probe's 240 KB of 120,000
 * small items blocked the loop for 0.4 to 0.7 s, without a token
 * (2026-11-25); ten calls of a batch, each just within a limit per call,
 * did the same (2026-11-26), so the calls of a request share it.
 */
export const MAX_ARGUMENT_VALUES = 10_000;

/**
 * Most values (and keys) of a request body outside its tool calls' arguments,
 * and how deep they nest: MCP's own params are a few dozen values (a batch
 * of the SDK's 100 messages about 1,200). Tool arguments have their own
 * limits, {@link MAX_ARGUMENT_VALUES} and {@link MAX_ARGUMENT_DEPTH}.
 */
export const MAX_ENVELOPE_VALUES = 4_096;
export const MAX_ENVELOPE_DEPTH = 32;

/** A value met in {@link walkValues}: its path is built only if it is reported. */
interface Walked {
	value: unknown;
	key: string;
	parent: Walked | undefined;
	depth: number;
}

function pathOf(walked: Walked | undefined): string {
	const keys: string[] = [];
	for (let at = walked; at?.parent !== undefined; at = at.parent) keys.push(at.key);
	return keys.reverse().join(".");
}

/** What {@link walkValues} found: its first hazard, if any, and how many values it walked. */
export interface WalkedValues {
	readonly issue: ArgumentIssue | undefined;
	readonly values: number;
}

/**
 * Walks `value` for a `__proto__` key, nesting of `maxDepth` levels or more,
 * or more than `maxValues` values (and keys), stopping at the first. Walked
 * without recursion, and without a key or entry array per object (for one
 * array of 120,000 numbers, `Object.entries` cost more than the rest of the
 * refusal: 150 to 260 ms). Objects in `skip` are not entered (they were
 * walked already).
 */
export function walkValues(
	value: unknown,
	limits: {
		maxValues: number;
		maxDepth: number;
		skip?: ReadonlySet<unknown>;
		/** What to say past `maxValues` (default: `More than <maxValues> values`). */
		tooManyValues?: string;
	},
): WalkedValues {
	const { maxValues, maxDepth, skip } = limits;
	const stack: Walked[] = [{ value, key: "", parent: undefined, depth: 0 }];
	let values = 0;
	const message = limits.tooManyValues ?? `More than ${maxValues} values`;
	const tooMany = (at: Walked): WalkedValues => ({ issue: { message, path: pathOf(at) }, values });
	for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
		const current = next.value;
		if (typeof current !== "object" || current === null || skip?.has(current)) continue;
		if (next.depth >= maxDepth) {
			return {
				issue: { message: `Nested deeper than ${maxDepth} levels`, path: pathOf(next) },
				values,
			};
		}
		const depth = next.depth + 1;
		if (Array.isArray(current)) {
			for (let i = 0; i < current.length; i++) {
				if (++values > maxValues) return tooMany(next);
				const item: unknown = current[i];
				// Primitives are counted, not stacked: most of a large body is primitives.
				if (typeof item === "object" && item !== null)
					stack.push({ value: item, key: String(i), parent: next, depth });
			}
			continue;
		}
		for (const key in current) {
			if (!Object.hasOwn(current, key)) continue;
			if (key === "__proto__") {
				const at: Walked = { value: undefined, key, parent: next, depth };
				return { issue: { message: "A __proto__ key is not allowed", path: pathOf(at) }, values };
			}
			if (++values > maxValues) return tooMany(next);
			const item = (current as Record<string, unknown>)[key];
			if (typeof item === "object" && item !== null)
				stack.push({ value: item, key, parent: next, depth });
		}
	}
	return { issue: undefined, values };
}

/**
 * {@link walkValues} with the limits of tool arguments: `left` of the
 * request's {@link MAX_ARGUMENT_VALUES} are still free.
 */
export function argumentHazard(value: unknown, left = MAX_ARGUMENT_VALUES): WalkedValues {
	return walkValues(value, {
		maxValues: left,
		maxDepth: MAX_ARGUMENT_DEPTH,
		tooManyValues:
			left < MAX_ARGUMENT_VALUES
				? `More than ${MAX_ARGUMENT_VALUES} values in the tool calls of one request`
				: `More than ${MAX_ARGUMENT_VALUES} values`,
	});
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}
