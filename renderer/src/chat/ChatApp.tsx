// The chat client (issue 7). Stub: the chat engineers fill it in.
export default function ChatApp(props: { route: string[] }) {
  return (
    <main className="centered">
      <h1>Hearth</h1>
      <p>Chat {props.route.join('/')}</p>
    </main>
  );
}
