// Synced state: an actor shares its state (or a per-connection projection)
// with its connections: a snapshot on subscribe, then patches after every
// committed turn that changed it, never before the writes are durable.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";
import { rawSocket } from "../helpers/raw.js";

const board = actor({
	state: { title: "untitled", notes: [] as { text: string; at: Date }[], tags: new Set<string>() },
	shareState: true,
	actions: {
		add: (c, text: string) => {
			c.state.notes.push({ text, at: new Date(0) });
			return c.state.notes.length;
		},
		rename: (c, title: string) => {
			c.state.title = title;
		},
		tag: (c, tag: string) => {
			c.state.tags.add(tag);
		},
		clear: (c) => {
			c.state.notes.length = 0;
		},
		read: () => "no change",
	},
	options: { sleepTimeout: 1_000 },
});

const vault = actor({
	state: { shared: 0, secrets: {} as Record<string, string> },
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	// Per connection: everyone sees the counter, each user only their own secret.
	shareState: (state, conn) => ({
		shared: state.shared,
		mine: state.secrets[conn.state.user] ?? null,
	}),
	actions: {
		setSecret: (c, secret: string) => {
			c.state.secrets[c.conn.state.user] = secret;
		},
		bump: (c) => {
			c.state.shared++;
		},
	},
});

const plain = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });

const registry = setup({ use: { board, vault, plain }, logLevel: "silent" });

describe("shared state", () => {
	it("sends a snapshot, then the state after every committed change", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.board.getOrCreate("b").connect();
		const seen: unknown[] = [];
		conn.onSharedState((state) => seen.push(state));
		await expect.poll(() => seen.length).toBe(1);
		expect(seen[0]).toEqual({ title: "untitled", notes: [], tags: new Set() });
		await conn.add("first");
		await conn.rename("Plans");
		await conn.tag("urgent");
		await expect
			.poll(() => conn.sharedState)
			.toEqual({
				title: "Plans",
				notes: [{ text: "first", at: new Date(0) }],
				tags: new Set(["urgent"]),
			});
		// A turn that changes nothing sends nothing.
		const count = seen.length;
		await conn.read();
		await turns(20);
		expect(seen.length).toBe(count);
		await conn.clear();
		await expect.poll(() => (conn.sharedState as { notes: unknown[] }).notes).toEqual([]);
		await conn.dispose();
	});

	it("never shows a change before its write is durable", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const watcher = t.client.board.getOrCreate("gate").connect();
		const titles: string[] = [];
		watcher.onSharedState((state) => titles.push(state.title));
		await expect.poll(() => titles).toEqual(["untitled"]);
		storage.hold();
		const renamed = t.client.board.getOrCreate("gate").rename("durable?");
		await expect.poll(() => storage.held).toBeGreaterThan(0);
		await turns(50);
		expect(titles).toEqual(["untitled"]);
		storage.release();
		await renamed;
		await expect.poll(() => titles).toEqual(["untitled", "durable?"]);
		await watcher.dispose();
	});

	it("projects per connection: one user never receives another's private fields", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.vault.getOrCreate("v", { params: { user: "ann" } }).connect();
		const bob = t.client.vault.getOrCreate("v", { params: { user: "bob" } }).connect();
		const annViews: unknown[] = [];
		ann.onSharedState((view) => annViews.push(view));
		bob.onSharedState(() => {});
		// Bob's secret travels on the wire only to Bob: watch Ann's raw socket too.
		const params = encodeURIComponent(JSON.stringify({ user: "ann" }));
		const annRaw = await rawSocket(
			`${t.url.replace(/^http/, "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=v`,
			["rivet", "rivet_encoding.json", `rivet_conn_params.${params}`],
		);
		annRaw.ws.send(
			JSON.stringify({
				body: { tag: "SubscriptionRequest", val: { eventName: "tenon.state", subscribe: true } },
			}),
		);
		await ann.setSecret("ann-secret");
		await bob.setSecret("bob-secret-xyz");
		await bob.bump();
		await expect.poll(() => ann.sharedState).toEqual({ shared: 1, mine: "ann-secret" });
		await expect.poll(() => bob.sharedState).toEqual({ shared: 1, mine: "bob-secret-xyz" });
		expect(JSON.stringify(annViews)).not.toContain("bob-secret");
		// Ann's raw connection saw the counter change (a patch of `shared`), never Bob's secret.
		await expect
			.poll(() => annRaw.messages.some((m) => String(m).includes('"path":["shared"]')))
			.toBe(true);
		expect(annRaw.messages.join("\n")).not.toContain("bob-secret");
		annRaw.ws.close();
		await ann.dispose();
		await bob.dispose();
	});

	it("resyncs after a reconnect, and reaches hibernated connections after a wake", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.board.getOrCreate("again").connect();
		const titles: string[] = [];
		conn.onSharedState((state) => titles.push(state.title));
		await conn.rename("before restart");
		await expect.poll(() => conn.sharedState?.title).toBe("before restart");
		await t.restart();
		// Changed by someone else while this client reconnects: it gets a fresh snapshot.
		await t.client.board.getOrCreate("again").rename("after restart");
		await expect.poll(() => conn.sharedState?.title).toBe("after restart");
		// Asleep with the connection hibernated; a call through HTTP wakes it and changes the state.
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.client.board.getOrCreate("again").rename("after sleep");
		await expect.poll(() => conn.sharedState?.title).toBe("after sleep");
		expect(titles.at(-1)).toBe("after sleep");
		await conn.dispose();
	});

	it("refuses a subscription when the actor shares nothing", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.plain.getOrCreate("p").connect();
		const errors: string[] = [];
		conn.onError((error) => errors.push(`${error.group}/${error.code}`));
		conn.onSharedState(() => {});
		await expect.poll(() => errors).toEqual(["actor/not_shared"]);
		expect(await conn.inc()).toBe(1);
		await conn.dispose();
	});
});
