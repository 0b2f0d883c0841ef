// PostGraphile 5 on the consolidated replica, run the way one would in production:
// the Amber preset, no GraphiQL, no watch mode, no explain, NODE_ENV=production.
// bench/compare.py starts it as
//   NODE_PATH=<dir>/node_modules NODE_ENV=production node server.cjs
// with BENCH_PGL_DSN, BENCH_PGL_HOST and BENCH_PGL_PORT in the environment.
"use strict";
const { createServer } = require("node:http");
const { postgraphile } = require("postgraphile");
const { PostGraphileAmberPreset } = require("postgraphile/presets/amber");
const { makePgService } = require("postgraphile/adaptors/pg");
const { grafserv } = require("postgraphile/grafserv/node");

const dsn = process.env.BENCH_PGL_DSN;
const host = process.env.BENCH_PGL_HOST || "127.0.0.1";
const port = Number(process.env.BENCH_PGL_PORT || 5678);
const schemas = ["siak", "psb", "cpns", "sikda", "sipbd", "lpse", "apk", "antrian", "hub"];

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: dsn, schemas })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false, maxRequestLength: 1e6 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => {
  console.log(`PostGraphile (node ${process.version}) on http://${host}:${port}/graphql`);
});
serv.addTo(server).then(
  () => server.listen(port, host),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
