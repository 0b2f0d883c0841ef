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

  // Says the operations come from this page: a hub that takes registered documents only
  // may still let GraphiQL send text ([graphql] graphiql_free_text).
  var PAGE = { "X-Citizen-Hub-Page": "graphiql" };
  var overHttp = GraphiQL.createFetcher({ url: endpoint.href, headers: PAGE });

  // Subscriptions go over graphql-transport-ws, with the Headers tab (the bearer token)
  // sent in connection_init: a browser cannot set headers on a websocket, and
  // GraphiQL's own websocket fetcher sends fixed connection parameters only.
  function live(params, headers) {
    var queue = [];
    var waiting = null;
    var finished = false;
    var socket = new WebSocket(subscriptions.href, "graphql-transport-ws");
    function push(item) {
      if (finished) return;
      if (item.done) finished = true;
      if (waiting) {
        var resolve = waiting;
        waiting = null;
        resolve(item);
      } else {
        queue.push(item);
      }
    }
    socket.onopen = function () {
      var payload = Object.assign({}, headers || {}, PAGE);
      socket.send(JSON.stringify({ type: "connection_init", payload: payload }));
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: params }));
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        push({ value: message.payload, done: false });
      } else if (message.type === "error") {
        push({ value: { errors: message.payload }, done: false });
        push({ value: undefined, done: true });
      } else if (message.type === "complete") {
        push({ value: undefined, done: true });
      }
    };
    socket.onclose = function (event) {
      if (event.code !== 1000 && !finished) {
        var reason = "the hub closed the subscription (" + event.code + " " + event.reason + ")";
        push({ value: { errors: [{ message: reason }] }, done: false });
      }
      push({ value: undefined, done: true });
    };
    var iterator = {
      next: function () {
        if (queue.length) return Promise.resolve(queue.shift());
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) {
          waiting = resolve;
        });
      },
      return: function () {
        finished = true;
        socket.close(1000);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    iterator[Symbol.asyncIterator] = function () {
      return iterator;
    };
    return iterator;
  }

  function isSubscription(params) {
    var query = params.query || "";
    var name = params.operationName;
    var pattern = name
      ? new RegExp("subscription\\s+" + name + "\\b")
      : /^(\s*(#[^\n]*)?\n)*\s*subscription\b/;
    return pattern.test(query);
  }

  function fetcher(params, options) {
    if (isSubscription(params)) return live(params, options && options.headers);
    return overHttp(params, options);
  }
  // For the browser test, which drives it without typing into the editor.
  window.citizenHubFetcher = fetcher;

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
