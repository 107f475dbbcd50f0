// Starts Tenon nodes as separate processes through the `tenon start` CLI.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "packages", "tenon", "bin", "tenon.mjs");

export interface NodeProcess {
	url: string;
	child: ChildProcess;
	stop(): Promise<void>;
}

/** `tenon start <registry> ...args` on port 0; resolves with the node's URL. */
export function startNode(registry: string, args: string[]): Promise<NodeProcess> {
	const child = spawn(
		process.execPath,
		[bin, "start", registry, "--port", "0", "--host", "127.0.0.1", ...args],
		{
			cwd: root,
			env: { ...process.env, TENON_LOG_LEVEL: "error", TENON_CLI_FROM_SOURCE: "1" },
			stdio: ["ignore", "pipe", "inherit"],
		},
	);
	return new Promise((resolve, reject) => {
		let output = "";
		child.stdout?.on("data", (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Tenon is running at (\S+)/.exec(output);
			if (match) {
				resolve({
					url: (match[1] as string).replace("//localhost:", "//127.0.0.1:"),
					child,
					stop: () =>
						new Promise<void>((done) => {
							child.once("exit", () => done());
							child.kill("SIGTERM");
						}),
				});
			}
		});
		child.once("exit", (code) => reject(new Error(`node exited (${code}): ${output}`)));
	});
}
