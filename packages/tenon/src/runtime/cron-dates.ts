// A cheap look at a cron expression's day of month and months, before
// croner searches for its next run. For a date no month has (the 31st of
// April, June, September and November; the 30th of February), croner walks
// every year to 9999 before it says "never": a client's expression held the
// event loop for 150 to 210 ms per call (10 at once: 1.6 s), and again at
// each firing (a probe, 2026-11-27). Written here because croner exposes no
// parsed pattern and no search bound (its `stopAt` does not shorten the
// search); anything this does not understand is left to croner.

/** The most days each month has (February: 29). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = [
	"JAN",
	"FEB",
	"MAR",
	"APR",
	"MAY",
	"JUN",
	"JUL",
	"AUG",
	"SEP",
	"OCT",
	"NOV",
	"DEC",
];

/**
 * True when the expression names only days of the month that none of its
 * months has, and no day of the week: it can never fire. False when it can,
 * or when it says something this check does not read (croner decides then).
 */
export function namesNoRealDate(expression: string): boolean {
	const fields = expression.trim().split(/\s+/);
	if (fields.length < 5 || fields.length > 7) return false;
	// Five fields: minute first; six or seven: second first (and a year last).
	const at = fields.length === 5 ? 2 : 3;
	const [dayField, monthField, weekdayField] = fields.slice(at, at + 3);
	// A day of the week fires on its own (croner's default ORs the two fields).
	if (weekdayField !== "*" && weekdayField !== "?") return false;
	const firstDay = smallestDay(dayField ?? "");
	const months = monthsOf(monthField ?? "");
	if (firstDay === undefined || months === undefined) return false;
	return months.every((month) => firstDay > (MONTH_DAYS[month] as number));
}

/** The smallest day of the month a day field may name (`n`, `nW`, `a-b`, `a-b/s`, lists). */
function smallestDay(field: string): number | undefined {
	let smallest = Number.POSITIVE_INFINITY;
	for (const part of field.split(",")) {
		const match = /^(\d{1,2})(?:W|(?:-\d{1,2})?(?:\/\d{1,2})?)$/i.exec(part);
		if (match === null) return undefined; // `*`, `L`, `LW`, `L-n` and the rest: any month has one
		smallest = Math.min(smallest, Number(match[1]));
	}
	return smallest;
}

/** The months (0 to 11) a month field names, or undefined when it is not read here. */
function monthsOf(field: string): number[] | undefined {
	const months = new Set<number>();
	for (const part of field.split(",")) {
		const match = /^(\*|\w{1,3})(?:-(\w{1,3}))?(?:\/(\d{1,2}))?$/.exec(part);
		if (match === null) return undefined;
		const from = match[1] === "*" ? 1 : month(match[1] as string);
		const to = match[1] === "*" ? 12 : match[2] !== undefined ? month(match[2]) : from;
		const step = match[3] !== undefined ? Number(match[3]) : 1;
		// A single month with a step (`2/3`) runs to December.
		const end = match[3] !== undefined && match[2] === undefined && match[1] !== "*" ? 12 : to;
		if (from === undefined || end === undefined || step < 1 || from > end) return undefined;
		for (let m = from; m <= end; m += step) months.add(m - 1);
	}
	return [...months];
}

function month(text: string): number | undefined {
	const named = MONTH_NAMES.indexOf(text.toUpperCase());
	if (named !== -1) return named + 1;
	const number = /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
	return number >= 1 && number <= 12 ? number : undefined;
}
