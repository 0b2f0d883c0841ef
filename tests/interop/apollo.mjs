// Apollo Client in Node runs the reference super-app's main query, then the same query as
// a persisted (trusted) document: by id only, through Apollo's PersistedQueryLink.
//
//   node apollo.mjs HUB_URL CITIZEN_TOKEN MANIFEST
//
// MANIFEST is what `citizen-hub documents add --manifest FILE` wrote: operation name ->
// "sha256:<hex>". The ids are the hub's (a hash of the file's text), not a hash of the
// query Apollo prints, so the link takes them from the manifest (generateHash), as an
// app built with a persisted-query manifest does.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { run } from "./hub.mjs";

const [hubUrl, token, manifestPath] = process.argv.slice(2);
if (!manifestPath) {
  process.stderr.write("usage: node apollo.mjs HUB_URL CITIZEN_TOKEN MANIFEST\n");
  process.exit(2);
}
const SUPER_APP = fileURLToPath(
  new URL("../../hub/static/examples/super-app/super-app.graphql", import.meta.url),
);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));

/** fetch that notes what each request sent and how it was answered. */
function recordingFetch(sent) {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = JSON.parse(init.body);
    sent.push({
      hasQuery: typeof body.query === "string",
      persisted: body.extensions?.persistedQuery ?? null,
      accept: new Headers(init.headers).get("accept"),
      status: response.status,
      contentType: response.headers.get("content-type"),
    });
    return response;
  };
}

function client(link) {
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

function summary(result) {
  const me = result.data?.me ?? null;
  return {
    fullName: me?.fullName ?? null,
    members: me?.family?.members?.length ?? null,
    relationships: me?.family?.members?.map((m) => m.relationship) ?? null,
    // Field errors (a relative's admissions are not the citizen's to see) come as
    // CombinedGraphQLErrors; anything else (network, protocol) as its message.
    errors: result.error?.errors?.map((e) => ({ code: e.extensions?.code, path: e.path })) ?? null,
    failure: result.error && !result.error.errors ? String(result.error.message) : null,
  };
}

run(async () => {
  const query = gql(readFileSync(SUPER_APP, "utf8"));
  const headers = { Authorization: `Bearer ${token}` };
  const options = { query, fetchPolicy: "no-cache", errorPolicy: "all" };

  const plainSent = [];
  const plain = client(
    new HttpLink({ uri: `${hubUrl}/graphql`, headers, fetch: recordingFetch(plainSent) }),
  );
  const main = summary(await plain.query(options));

  const persistedSent = [];
  const persistedLink = new PersistedQueryLink({
    generateHash: (document) => {
      const name = document.definitions.find((d) => d.kind === "OperationDefinition").name.value;
      return manifest[name].replace(/^sha256:/, "");
    },
  });
  const persisted = client(
    persistedLink.concat(
      new HttpLink({ uri: `${hubUrl}/graphql`, headers, fetch: recordingFetch(persistedSent) }),
    ),
  );
  const byId = summary(await persisted.query(options));
  return { main, mainSent: plainSent, persisted: byId, persistedSent };
});
