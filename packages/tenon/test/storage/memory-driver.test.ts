import { describeAlarmConformance } from "../../src/storage/conformance/alarms.js";
import { describeDirectoryConformance } from "../../src/storage/conformance/directory.js";
import { describeStoreConformance } from "../../src/storage/conformance/store.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";

const target = { createDriver: async () => memoryDriver() };

describeDirectoryConformance("memory", target);
describeStoreConformance("memory", target);
describeAlarmConformance("memory", target);
