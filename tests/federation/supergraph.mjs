// A supergraph of the hub and a stand-in for another agency's subgraph, behind Apollo Gateway.
//
//   node supergraph.mjs HUB_URL RECIPIENTS_JSON
//
// The stand-in (stand-in.mjs) is Dinas Sosial's register of social assistance: it extends
// the hub's Citizen by its key, nik, and lists a programme's recipients as Citizen
// references the gateway completes from the hub's _entities. The hub's SDL is read from its _service { sdl }; both are composed here with
// @apollo/composition (a failure prints its errors and exits 1). The gateway forwards
// the caller's Authorization and X-Purpose to every subgraph.
//
// Prints one line once both listen: READY {"gateway": URL, "subgraph": URL, "citizenFields": [...]}
// (or FAILED {...}); the servers' own messages go to standard error.
// Stops when its standard input closes or on SIGTERM, so nothing outlives the test.
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { buildSchema, parse } from "graphql";

import { STAND_IN, standInResolvers } from "./stand-in.mjs";

const FORWARDED = ["authorization", "x-purpose"];
// Standard output carries the READY line alone.
const logger = {
  debug() {},
  info: (message) => console.error(message),
  warn: (message) => console.error(message),
  error: (message) => console.error(message),
};

const [hubUrl, recipientsJson] = process.argv.slice(2);
if (!hubUrl || !recipientsJson) {
  console.error("usage: node supergraph.mjs HUB_URL RECIPIENTS_JSON");
  process.exit(2);
}
// {"PKH": ["<nik>", ...], ...}: who receives which programme.
const resolvers = standInResolvers(JSON.parse(recipientsJson));

async function hubSdl() {
  const response = await fetch(`${hubUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!body.data) throw new Error(`the hub's _service: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

const servers = [];

async function main() {
  const standIn = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: STAND_IN, resolvers }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    logger,
  });
  servers.push(standIn);
  const { url: subgraphUrl } = await startStandaloneServer(standIn, {
    listen: { host: "127.0.0.1", port: 0 },
  });

  const composed = composeServices([
    { name: "hub", typeDefs: parse(await hubSdl()), url: `${hubUrl}/graphql` },
    { name: "dinsos", typeDefs: STAND_IN, url: subgraphUrl },
  ]);
  if (composed.errors) {
    console.log(`FAILED ${JSON.stringify({ compositionErrors: composed.errors.map((e) => e.message) })}`);
    process.exit(1);
  }

  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    logger,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          for (const name of FORWARDED) {
            const value = context.headers?.[name];
            if (value) request.http.headers.set(name, value);
          }
        },
      }),
  });
  const server = new ApolloServer({ gateway, logger });
  servers.push(server);
  const { url: gatewayUrl } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: 0 },
    context: async ({ req }) => ({ headers: req.headers }),
  });

  const supergraph = buildSchema(composed.supergraphSdl);
  const citizenFields = Object.keys(supergraph.getType("Citizen").getFields()).sort();
  console.log(`READY ${JSON.stringify({ gateway: gatewayUrl, subgraph: subgraphUrl, citizenFields })}`);
}

async function stop() {
  await Promise.allSettled(servers.map((s) => s.stop()));
  process.exit(0);
}

process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
main().catch((error) => {
  console.log(`FAILED ${JSON.stringify({ error: String(error?.stack ?? error) })}`);
  process.exit(1);
});
