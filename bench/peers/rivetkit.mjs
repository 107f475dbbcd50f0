// Runs the RivetKit benchmark registry with `registry.start()`, which starts
// RivetKit's local engine (state on its file-system store under $HOME/.rivetkit;
// the benchmark points HOME at a temporary directory). Prints "READY <endpoint>"
// once an action round-trips.
import { actor, event, setup } from "rivetkit";
import { createClient } from "rivetkit/client";

const counter = actor({
	state: { count: 0 },
	actions: {
		increment: async (c) => {
			c.state.count++;
			// RivetKit saves state on an interval (1 s); wait for this change to
			// be written so the reply, like Tenon's, follows persistence.
			await c.saveState({ immediate: true });
			return c.state.count;
		},
		/** RivetKit's default: the change is saved on the next interval, after the reply. */
		incrementRelaxed: (c) => {
			c.state.count++;
			return c.state.count;
		},
		sleepNow: (c) => {
			c.sleep();
		},
	},
	options: { sleepTimeout: 600_000 },
});

const room = actor({
	state: { sent: 0 },
	events: { tick: event() },
	actions: {
		ping: async (c, at) => {
			c.state.sent++;
			await c.saveState({ immediate: true });
			c.broadcast("tick", at);
		},
		noop: () => null,
	},
	options: { sleepTimeout: 600_000 },
});

const idle = actor({
	state: { n: 0 },
	actions: { touch: (c) => c.state.n },
	options: { sleepTimeout: 3_600_000 },
});

const registry = setup({ use: { counter, room, idle }, noWelcome: true });
registry.start();

const endpoint = process.env.RIVET_ENDPOINT ?? "http://127.0.0.1:6420";
const client = createClient(endpoint);
const deadline = Date.now() + 120_000;
for (;;) {
	try {
		await client.counter.getOrCreate(["ready"]).increment();
		break;
	} catch (error) {
		if (Date.now() > deadline) throw error;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
process.stdout.write(`READY ${endpoint}\n`);
