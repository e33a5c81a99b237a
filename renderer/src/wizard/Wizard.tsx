// The first-run setup wizard (issue 7). Stub: the wizard engineer fills it in.
export default function Wizard(props: { onDone: () => void }) {
  return (
    <main className="centered">
      <h1>Set up Hearth</h1>
      <button onClick={props.onDone}>Continue</button>
    </main>
  );
}
