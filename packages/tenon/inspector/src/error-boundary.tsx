import { Component, type ReactNode } from "react";

/**
 * Shows an error in place of what failed to render, instead of unmounting
 * the whole app: a value one view could not render (a client's state too
 * large for the browser) blanked every page, again after each reload, since
 * the actor stayed in the address (an attacker probe, 2026-11-28). Give it a
 * `key` to start again when what it shows changes (another tab, actor).
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
	override state = { error: null as string | null };

	static getDerivedStateFromError(error: unknown): { error: string } {
		return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
	}

	override render(): ReactNode {
		if (this.state.error === null) return this.props.children;
		return (
			<p className="error" data-testid="view-failed">
				This view could not be shown ({this.state.error.slice(0, 300)}). The other tabs still work.
			</p>
		);
	}
}
