// The GraphQL-over-HTTP working group's server audits (graphql-http's serverAudits), run
// against the hub as the caller given on the command line.
import { serverAudits } from "graphql-http";
import { caller, run } from "./hub.mjs";

const { endpoint, headers } = caller();

/** fetch with the caller's headers added to every audit's own. */
function fetchAs(input, init = {}) {
  return fetch(input, { ...init, headers: { ...headers, ...(init.headers ?? {}) } });
}

run(async () => {
  const results = [];
  for (const audit of serverAudits({ url: endpoint, fetchFn: fetchAs })) {
    const result = await audit.fn();
    const entry = { id: result.id, name: result.name, status: result.status };
    if (result.status !== "ok") {
      entry.reason = result.reason;
      entry.httpStatus = result.response.status;
      entry.contentType = result.response.headers.get("content-type");
      entry.body = (await result.response.text()).slice(0, 300);
    }
    results.push(entry);
  }
  const count = (status) => results.filter((r) => r.status === status).length;
  return {
    total: results.length,
    ok: count("ok"),
    notice: count("notice"),
    warn: count("warn"),
    error: count("error"),
    results,
  };
});
