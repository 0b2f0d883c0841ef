// What the scripts here share: the audit's arguments (node SCRIPT.mjs URL [TOKEN [PURPOSE]])
// and how each answers (JSON on stdout, read by the pytest suite beside it).

/** The hub's base URL, and the headers of a caller with TOKEN (a partner also names PURPOSE). */
export function caller(argv = process.argv) {
  const [url, token, purpose] = argv.slice(2);
  if (!url) {
    process.stderr.write("usage: node SCRIPT.mjs HUB_URL [TOKEN [PURPOSE]]\n");
    process.exit(2);
  }
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (purpose) headers["X-Purpose"] = purpose;
  return { base: url.replace(/\/+$/, ""), endpoint: `${url.replace(/\/+$/, "")}/graphql`, headers };
}

/** Print the script's answer and end the process (open sockets or timers must not keep it). */
export function report(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`, () => process.exit(0));
}

/** Run main(), turning anything it throws into a one-line reason on stderr and exit 1. */
export function run(main) {
  main().then(report, (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  });
}
