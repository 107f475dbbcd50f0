// Public entry point of `tenon/agent`: AI agents as actors (one per
// conversation), an OpenAI-compatible streaming model client, tools with
// risk levels and confirmations, secret redaction, and MCP. No model SDK.

export {
	type AgentActions,
	type AgentActorDefinition,
	agentActor,
	HISTORY_PAGE_BYTES,
} from "./agent-actor.js";
export { addAssistantMessage } from "./assistant-message.js";
export type { AgentConfig, AgentCustomActions, AgentTurnEnd } from "./config.js";
export type { AgentEvents, AgentQueues } from "./declarations.js";
export {
	type ChatMessage,
	type ChatModel,
	ModelError,
	type ModelErrorCode,
	type ModelEvent,
	type ModelTool,
	type ToolCallRequest,
} from "./model.js";
export { type OpenAIModelOptions, openAIModel } from "./openai-model.js";
export {
	COMMON_SECRET_PATTERNS,
	Redactor,
	type RedactorOptions,
	StreamRedactor,
} from "./redact.js";
export {
	type AgentTool,
	type CheckedCall,
	checkToolCall,
	defineTool,
	modelTools,
	type Requester,
	type ToolContext,
	type ToolRisk,
	toolJsonSchema,
} from "./tools.js";
export { modelHistory } from "./transcript.js";
export type * from "./types.js";
