import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * Keeps one pane's failure in that pane: a room that cannot be drawn shows a message with
 * a retry, and the room list stays usable.
 */
export class PaneBoundary extends Component<
  { children: ReactNode; what: string },
  { error: Error | null }
> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`${this.props.what} failed`, error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="chat-empty" role="alert">
        <h2>Something went wrong</h2>
        <p>
          The {this.props.what} could not be shown: {this.state.error.message}
        </p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
