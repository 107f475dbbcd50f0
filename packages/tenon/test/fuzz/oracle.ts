// What a fuzz run checks, and how it counts what it finds.

/** Error groups the server documents (docs/errors.md). */
const KNOWN_GROUPS = new Set([
	"request",
	"message",
	"actor",
	"auth",
	"limit",
	"user",
	"queue",
	"state",
	"core",
	"kv",
	"schedule",
	"workflow",
]);

/** 5xx codes that are part of normal operation (the caller may retry), not findings. */
const TRANSIENT_5XX = new Set([
	"actor/stopping",
	"actor/stopped",
	"core/shutting_down",
	"limit/overloaded",
]);

/** Tallies of one run. */
export class FuzzStats {
	inputs = 0;
	/** Unexpected exceptions, internal errors (500 `core/internal_error`), dropped sockets, a dead server. */
	crashes = 0;
	/** Inputs that got no answer in time. */
	hangs = 0;
	/** New properties on built-in prototypes. */
	pollution = 0;
	/** Error answers without a documented `group/code`. */
	unstable = 0;
	/** Answers by status or outcome, for the report. */
	readonly outcomes = new Map<string, number>();
	/** The first findings, with the input that caused them. */
	readonly findings: string[] = [];

	count(outcome: string): void {
		this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
	}

	finding(kind: "crash" | "hang" | "pollution" | "unstable", detail: string): void {
		if (kind === "crash") this.crashes++;
		else if (kind === "hang") this.hangs++;
		else if (kind === "pollution") this.pollution++;
		else this.unstable++;
		if (this.findings.length < 25) this.findings.push(`${kind}: ${detail.slice(0, 400)}`);
	}

	get clean(): boolean {
		return this.crashes === 0 && this.hangs === 0 && this.pollution === 0 && this.unstable === 0;
	}

	merge(other: FuzzStats): void {
		this.inputs += other.inputs;
		this.crashes += other.crashes;
		this.hangs += other.hangs;
		this.pollution += other.pollution;
		this.unstable += other.unstable;
		for (const [key, value] of other.outcomes)
			this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + value);
		for (const finding of other.findings)
			if (this.findings.length < 25) this.findings.push(finding);
	}
}

const PROTOTYPES: [string, object][] = [
	["Object", Object.prototype],
	["Array", Array.prototype],
	["Function", Function.prototype],
	["String", String.prototype],
	["Number", Number.prototype],
	["Map", Map.prototype],
	["Promise", Promise.prototype],
];

/** Own property names of the built-in prototypes (to compare before and after). */
export function prototypeSnapshot(): Record<string, string[]> {
	return Object.fromEntries(
		PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]),
	);
}

/** Describes how `after` differs from `before`, or undefined when it does not. */
export function pollutionBetween(
	before: Record<string, string[]>,
	after: Record<string, string[]>,
): string | undefined {
	for (const [name, keys] of Object.entries(after)) {
		const previous = new Set(before[name] ?? []);
		const added = keys.filter((key) => !previous.has(key));
		if (added.length > 0) return `${name}.prototype gained ${added.join(", ")}`;
	}
	return undefined;
}

/** The problem with an error payload, or undefined when it is a documented `group/code`. */
export function payloadProblem(body: unknown): string | undefined {
	if (typeof body !== "object" || body === null) return "the error body is not an object";
	const { group, code, message } = body as Record<string, unknown>;
	if (typeof group !== "string" || typeof code !== "string") return "no group/code";
	if (!KNOWN_GROUPS.has(group)) return `unknown group '${group}'`;
	if (!/^[a-z_]{1,64}$/.test(code) && group !== "user") return `odd code '${code}'`;
	if (typeof message !== "string") return "no message";
	return undefined;
}

/** Classifies an error answer: a finding kind, or undefined when it is a normal refusal. */
export function classifyError(status: number, body: unknown): "crash" | "unstable" | undefined {
	const problem = payloadProblem(body);
	if (problem !== undefined) return "unstable";
	const { group, code } = body as { group: string; code: string };
	if (status >= 500 && !TRANSIENT_5XX.has(`${group}/${code}`)) return "crash";
	if (group === "core" && code === "internal_error") return "crash";
	return undefined;
}
