// The admin views (issue 7). Stub: the admin engineer fills it in.
export default function AdminApp(props: { route: string[] }) {
  return (
    <main className="centered">
      <h1>Hearth admin</h1>
      <p>{props.route.join('/')}</p>
    </main>
  );
}
