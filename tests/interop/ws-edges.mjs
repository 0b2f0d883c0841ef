// The graphql-transport-ws protocol's edge cases, probed the same way against the hub
// and against graphql-ws's own reference server (started here, on loopback, with a
// schema of two fields): the suite asserts that the two behave alike.
//
//   node ws-edges.mjs HUB_URL TOKEN TICKET_ID
//
// TOKEN is a citizen token, TICKET_ID a waiting ticket of theirs: following it is the
// hub's long-lived subscription, as `ticks` is the reference server's.
import { createServer } from "node:http";
import { GraphQLObjectType, GraphQLSchema, GraphQLString, GraphQLInt } from "graphql";
import { useServer } from "graphql-ws/lib/use/ws";
import WebSocket, { WebSocketServer } from "ws";
import { run } from "./hub.mjs";

const PROTOCOL = "graphql-transport-ws";
const WAIT_FOR_CLOSE_MS = 15_000; // the hub waits 10 s for connection_init, graphql-ws 3 s
const QUIET_MS = 500;

const [hubUrl, token, ticketId] = process.argv.slice(2);
if (!ticketId) {
  process.stderr.write("usage: node ws-edges.mjs HUB_URL CITIZEN_TOKEN TICKET_ID\n");
  process.exit(2);
}

/** One websocket, with every message and the close kept for the probe to look at. */
function connect(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, PROTOCOL);
    const state = { socket, messages: [], waiting: [], closed: null };
    state.closedPromise = new Promise((done) => {
      socket.on("close", (code) => {
        state.closed = code;
        done(code);
        for (const w of state.waiting.splice(0)) w(null);
      });
    });
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString());
      const w = state.waiting.shift();
      if (w) w(message);
      else state.messages.push(message);
    });
    socket.on("open", () => resolve(state));
    socket.on("error", reject);
  });
}

/** The next message (or null when the socket closed or nothing came within ms). */
function next(state, ms = 5_000) {
  if (state.messages.length) return Promise.resolve(state.messages.shift());
  if (state.closed !== null) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      state.waiting.splice(state.waiting.indexOf(waiter), 1);
      resolve(null);
    }, ms);
    const waiter = (message) => {
      clearTimeout(timer);
      resolve(message);
    };
    state.waiting.push(waiter);
  });
}

async function nextOf(state, id, ms) {
  for (;;) {
    const message = await next(state, ms);
    if (message === null || message.id === id) return message;
  }
}

const send = (state, message) => state.socket.send(JSON.stringify(message));

async function closeCode(state, ms = WAIT_FOR_CLOSE_MS) {
  const timer = new Promise((resolve) => setTimeout(() => resolve(null), ms));
  const code = await Promise.race([state.closedPromise, timer]);
  return code;
}

async function initialised(target) {
  const state = await connect(target.url);
  send(state, { type: "connection_init", payload: target.init });
  const ack = await next(state);
  if (ack?.type !== "connection_ack") throw new Error(`no connection_ack: ${JSON.stringify(ack)}`);
  return state;
}

function done(state) {
  if (state.closed === null) state.socket.terminate();
}

/** The probes: each returns what a client would notice. */
const probes = {
  async initTimeout(target) {
    const state = await connect(target.url);
    return { close: await closeCode(state) };
  },
  async subscribeBeforeAck(target) {
    const state = await connect(target.url);
    send(state, { id: "1", type: "subscribe", payload: { query: target.query } });
    return { close: await closeCode(state) };
  },
  async secondInit(target) {
    const state = await initialised(target);
    send(state, { type: "connection_init", payload: target.init });
    return { close: await closeCode(state) };
  },
  async pingPong(target) {
    const state = await initialised(target);
    send(state, { type: "ping" });
    const reply = await next(state);
    send(state, { type: "pong" }); // unsolicited: ignored
    const after = await next(state, QUIET_MS);
    const open = state.closed === null;
    done(state);
    return { reply: reply?.type ?? null, afterPong: after?.type ?? null, open };
  },
  async queryCompletes(target) {
    const state = await initialised(target);
    send(state, { id: "q", type: "subscribe", payload: { query: target.query } });
    const first = await nextOf(state, "q");
    const second = await nextOf(state, "q");
    done(state);
    return { types: [first?.type ?? null, second?.type ?? null], data: first?.payload?.data != null };
  },
  async duplicateId(target) {
    const state = await initialised(target);
    const subscribe = { id: "s", type: "subscribe", payload: target.live };
    send(state, subscribe);
    const first = await nextOf(state, "s");
    send(state, subscribe);
    return { first: first?.type ?? null, close: await closeCode(state) };
  },
  async clientCompletes(target) {
    const state = await initialised(target);
    const subscribe = { id: "s", type: "subscribe", payload: target.live };
    send(state, subscribe);
    const first = await nextOf(state, "s");
    send(state, { id: "s", type: "complete" });
    // The same id is free again once the server has let the subscription go.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    state.messages.splice(0); // anything already in flight before the complete
    send(state, subscribe);
    const again = await nextOf(state, "s");
    const open = state.closed === null;
    done(state);
    return { first: first?.type ?? null, again: again?.type ?? null, open };
  },
  async invalidMessage(target) {
    const state = await initialised(target);
    send(state, { type: "no-such-type" });
    return { close: await closeCode(state) };
  },
};

/** graphql-ws's own server, with a query and an endless subscription. */
async function referenceServer() {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: "Query",
      fields: { hello: { type: GraphQLString, resolve: () => "world" } },
    }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        ticks: {
          type: GraphQLInt,
          subscribe: async function* () {
            for (let i = 0; ; i += 1) {
              yield { ticks: i };
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          },
        },
      },
    }),
  });
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: "/graphql" });
  useServer({ schema }, wss);
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `ws://127.0.0.1:${http.address().port}/graphql`, wss, http };
}

async function probeAll(target) {
  const names = Object.keys(probes);
  const outcomes = await Promise.all(names.map((name) => probes[name](target)));
  return Object.fromEntries(names.map((name, i) => [name, outcomes[i]]));
}

run(async () => {
  const reference = await referenceServer();
  try {
    const [hub, graphqlWs] = await Promise.all([
      probeAll({
        url: `${hubUrl.replace(/^http/, "ws").replace(/\/+$/, "")}/graphql`,
        init: { Authorization: `Bearer ${token}` },
        query: "{ serviceCentres { code } }",
        live: {
          query: "subscription($id: ID!) { queueTicket(ticketId: $id) { id status } }",
          variables: { id: ticketId },
        },
      }),
      probeAll({
        url: reference.url,
        init: {},
        query: "{ hello }",
        live: { query: "subscription { ticks }" },
      }),
    ]);
    return { hub, reference: graphqlWs };
  } finally {
    for (const client of reference.wss.clients) client.terminate();
    reference.wss.close();
    reference.http.close();
  }
});
