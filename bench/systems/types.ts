/** Something that can be called once per measurement. */
export interface Caller {
	call(): Promise<unknown>;
	close(): Promise<void>;
}

/** The workloads of the core suite; a system implements those it can run. */
export interface Workloads {
	/** 1. A warm actor over a connection/WebSocket: increment a counter, reply after persist. */
	warmConnection?(key: string): Promise<Caller>;
	/** 2. A stateless HTTP action on a warm actor. */
	httpAction?(key: string): Promise<Caller>;
	/** 3. Create a new actor and run its first action. */
	createAndCall?(key: string): Promise<void>;
	/** 4. Put actors to sleep (out of memory), then wake one with an action. */
	sleep?(keys: string[]): Promise<void>;
	wakeAndCall?(key: string): Promise<void>;
	/** 5. Durable actions per second over many actors and callers. */
	throughput?(options: { actors: number; depth: number; seconds: number }): Promise<number>;
	/** 6. Server memory per awake idle actor (bytes), and what sleeping ones keep. */
	memory?(
		counts: readonly number[],
	): Promise<{ perAwake: Map<number, number>; perSleeping?: number }>;
	/** 7. One event to `connections` connections: time until the last one has it (ms). */
	broadcast?(connections: number, rounds: number): Promise<number[]>;
}

/** A system under test. */
export interface System extends Workloads {
	name: string;
	/** Where each workload's write is durable when the reply arrives. */
	durability: string;
	start(): Promise<void>;
	stop(): Promise<void>;
}
