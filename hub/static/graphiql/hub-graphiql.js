// Starts GraphiQL in #graphiql. Written for the hub (not vendored). It lives in a file rather
// than an inline <script> so the page can be served with a CSP of `script-src 'self'`.
// The page (hub/graphiql.py) passes the endpoint as a data attribute.
(function () {
  "use strict";
  // What GraphiQL opens with. It runs as it is, without a token, on any city: the public
  // catalogue. The commented query is the next step, with a token and a NIK from the demo.
  var DEFAULT_QUERY = [
    "# Citizen Hub: one query, every product the city runs.",
    "# Press the run button (or Ctrl-Enter): the public catalogue needs no token.",
    "{",
    "  serviceCentres { name opensAt closesAt services { name agency } }",
    "}",
    "",
    "# Next, a citizen. `make demo` printed showcase families and two tokens:",
    "# 1. Paste the partner's line into the Headers tab below:",
    '#      {"Authorization": "Bearer <token>"}',
    "# 2. Replace the query with this one, uncommented (remove each leading",
    '#    "# "), with a NIK the demo printed instead of <NIK>:',
    "#",
    "# {",
    '#   citizen(nik: "<NIK>") {',
    "#     fullName birthDate address { kelurahan kecamatan }",
    "#     family { familyCardNumber members { relationship citizen { fullName } } }",
    "#     employment { nip rank }",
    "#     schoolAdmissions { level status }",
    "#     queueTickets { number date status }",
    "#   }",
    "# }",
    "#",
    "# Each product needs its scope (siak:profile, psb:read, ...): without it the",
    "# field is null and a FORBIDDEN error names the scope. An expired token",
    "# answers 401: print a new one with the command the demo showed.",
    "# Ctrl-Space completes names; Docs lists every type. Each citizen you look",
    "# up sees it in their accessLog.",
    "",
  ].join("\n");
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.dataset.endpoint || "/graphql", window.location.href);
  var subscriptions = new URL(endpoint.href);
  subscriptions.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptions.href,
  });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      // The headers tab is open from the start: that is where a bearer token goes.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Tokens open citizens' data: keep them out of localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
