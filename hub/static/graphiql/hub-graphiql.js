// Starts GraphiQL in #graphiql. Written for the hub (not vendored). It lives in a file rather
// than an inline <script> so the page can be served with a CSP of `script-src 'self'`.
// The page (hub/graphiql.py) passes the endpoint and the default query as data attributes.
(function () {
  "use strict";
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
      defaultQuery: root.dataset.defaultQuery,
      // The headers tab is open from the start: that is where a bearer token goes.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Tokens open citizens' data: keep them out of localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
