import type { AwakeActorSample, RuntimeSampler } from "../observability/metrics.js";
import type { ClusterMembership } from "../storage/interfaces.js";
import type { ActorHost } from "./actor-host.js";

function* samples(host: ActorHost): Iterable<AwakeActorSample> {
	for (const instance of host.awakeInstances())
		yield { name: instance.name, ...instance.queueSizes };
}

/** What metrics read of a node when they are scraped (never on a hot path). */
export function runtimeSampler(
	host: ActorHost,
	cluster: () => ClusterMembership | undefined,
): RuntimeSampler {
	return {
		actorNames: host.actorNames,
		awakeActors: () => samples(host),
		sockets: () => ({ sockets: host.sockets.size, hibernated: host.sockets.hibernatedCount }),
		leases: () => {
			const membership = cluster();
			return (
				membership && {
					nodeId: membership.nodeId,
					held: membership.heldLeases,
					takeovers: membership.takeovers ?? 0,
					lost: membership.lostLeases ?? 0,
				}
			);
		},
	};
}
