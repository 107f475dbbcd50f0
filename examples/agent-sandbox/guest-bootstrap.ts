// The JavaScript every fresh guest context runs first (inside a worker).

/**
 * Runs in every fresh context before the guest's code. It keeps its own references to
 * `JSON.stringify`, `String` and the error classes, so a guest that replaces the globals
 * only spoils its own output. It returns `[describe, serialize]` for the host; `describe`
 * hands its four strings to the host function `report` rather than building a container, since
 * a guest can hook array and object creation and JSON output through prototypes (`toJSON`).
 */
export const BOOTSTRAP_SOURCE = `(function install(write, report) {
	"use strict";
	const stringify = JSON.stringify;
	const toText = String;
	const ErrorClass = Error;
	const TypeErrorClass = TypeError;
	function format(value) {
		if (typeof value === "string") return value;
		if (value !== null && typeof value === "object" && !(value instanceof ErrorClass)) {
			try {
				const json = stringify(value);
				if (typeof json === "string") return json;
			} catch (error) {}
		}
		try {
			return toText(value);
		} catch (error) {
			return "[unprintable " + typeof value + "]";
		}
	}
	function line(args) {
		let text = "";
		for (let i = 0; i < args.length; i++) text += (i === 0 ? "" : " ") + format(args[i]);
		return text;
	}
	const sandboxConsole = {
		log(...args) { write(0, line(args)); },
		info(...args) { write(0, line(args)); },
		debug(...args) { write(0, line(args)); },
		warn(...args) { write(1, line(args)); },
		error(...args) { write(2, line(args)); },
	};
	Object.defineProperty(globalThis, "console", { value: sandboxConsole, writable: true, configurable: true });
	function describe(error) {
		let name = "";
		let message = "";
		let stack = "";
		let fileName = "";
		if (error !== null && (typeof error === "object" || typeof error === "function")) {
			try { const value = error.name; if (typeof value === "string") name = value; } catch (e) {}
			try { const value = error.message; message = typeof value === "string" ? value : format(error); } catch (e) { message = "[unreadable error]"; }
			try { const value = error.stack; if (typeof value === "string") stack = value; } catch (e) {}
			try { const value = error.fileName; if (typeof value === "string") fileName = value; } catch (e) {}
		} else {
			message = format(error);
		}
		report(name, message, stack, fileName);
	}
	function serialize(value) {
		if (value === undefined) return undefined;
		let json;
		try {
			json = stringify(value);
		} catch (error) {
			if (!(error instanceof TypeErrorClass)) throw error;
		}
		if (typeof json === "string") return json;
		try {
			return stringify(toText(value));
		} catch (error) {
			return stringify("[unserializable " + typeof value + "]");
		}
	}
	return [describe, serialize];
})`;
