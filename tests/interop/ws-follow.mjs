// Follow one queue ticket with graphql-ws's client, as the super-app would:
//
//   node ws-follow.mjs HUB_URL CITIZEN_TOKEN TICKET_ID
//
// Prints one JSON line per event ({"next": data} or {"error": ...}) as it arrives, so
// the suite can move the ticket in between, and {"complete": true} when the hub ends
// the subscription (the ticket is over).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [hubUrl, token, ticketId] = process.argv.slice(2);
if (!ticketId) {
  process.stderr.write("usage: node ws-follow.mjs HUB_URL CITIZEN_TOKEN TICKET_ID\n");
  process.exit(2);
}
const FOLLOW = `subscription Follow($id: ID!) {
  queueTicket(ticketId: $id) { id number status counter position { ahead } }
}`;

const line = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const client = createClient({
  url: `${hubUrl.replace(/^http/, "ws").replace(/\/+$/, "")}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { closed: (event) => line({ closed: event?.code ?? null }) },
});

client.subscribe(
  { query: FOLLOW, variables: { id: ticketId } },
  {
    next: (result) => line({ next: result.data ?? null, errors: result.errors ?? null }),
    error: (error) => {
      line({ error: Array.isArray(error) ? error : String(error?.code ?? error) });
      client.dispose().finally(() => process.exit(1));
    },
    complete: () => {
      line({ complete: true });
      client.dispose().finally(() => process.exit(0));
    },
  },
);
