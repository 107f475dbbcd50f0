// A node tells another to link the connections it holds (POST
// /.tenon/peer/actors/{id}/link, the cluster secret in a header). It went
// through `fetch` with redirects followed, and `fetch` keeps custom headers
// across origins: a node whose route answered with a redirect (an app's
// fallback sending unknown paths to its login page, a TLS redirector in
// front of a node) had the cluster secret sent wherever it pointed (an
// attacker probe, 2026-11-26). Real sockets: a "holder" that redirects, and
// the host it redirects to.
import { createServer, type Server } from "node:http";
import { afterEach, expect, it } from "vitest";
import { createConnectionLinks } from "../../src/cluster/conn-links.js";
import { createLogger } from "../../src/common/logger.js";
import type { ClusterMembership } from "../../src/storage/interfaces.js";

const servers: Server[] = [];
afterEach(() => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections();
		server.close();
	}
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
	const server = createServer(handler);
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
	return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

it("never follows a redirect with the cluster secret", async () => {
	const elsewhere: (string | undefined)[] = [];
	const target = await listen((req, res) => {
		elsewhere.push(req.headers["x-tenon-peer"] as string | undefined);
		res.end();
	});
	const asked: string[] = [];
	const holder = await listen((req, res) => {
		asked.push(`${req.method} ${req.url}`);
		res.writeHead(307, { location: `${target}/login` });
		res.end();
	});
	const membership = {
		nodeId: "owner",
		peerSecret: "the-cluster-secret",
		nodeAddress: async () => holder,
	} as unknown as ClusterMembership;
	const links = createConnectionLinks(membership, createLogger({ level: "silent" }));
	links.notifyHolder("holder", "actor-1");
	await expect.poll(() => asked).toEqual(["POST /.tenon/peer/actors/actor-1/link"]);
	await new Promise((resolve) => setTimeout(resolve, 300));
	expect(elsewhere).toEqual([]);
});
