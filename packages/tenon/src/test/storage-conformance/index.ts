// Public entry point of `tenon/test/storage-conformance`: the suites every
// storage driver runs, for third-party drivers too. They are vitest suites
// (`vitest` is an optional peer dependency, needed only by whoever imports
// this entry); nothing in the runtime imports them.

export { describeAlarmConformance } from "./alarms.js";
export { describeDirectoryConformance } from "./directory.js";
export { b, type ConformanceTarget, s, testActorId, withHandles } from "./harness.js";
export { describePlacementConformance, type PlacementConformanceTarget } from "./placement.js";
export { describeStoreConformance } from "./store.js";
