// Composes an SDL file as the hub's subgraph with the stand-in, as an operator would
// compose the checked-in schema.graphql when _service is switched off.
//
//   node compose.mjs SDL_FILE     prints {"composed": true} or {"errors": [...]}
import { readFileSync } from "node:fs";

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

import { STAND_IN } from "./stand-in.mjs";

const composed = composeServices([
  { name: "hub", typeDefs: parse(readFileSync(process.argv[2], "utf8")), url: "http://hub/graphql" },
  { name: "dinsos", typeDefs: STAND_IN, url: "http://dinsos/" },
]);
console.log(
  JSON.stringify(
    composed.errors ? { errors: composed.errors.map((e) => e.message) } : { composed: true },
  ),
);
