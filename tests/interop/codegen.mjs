// graphql-codegen (the CLI's own `generate`, with the typescript and typescript-operations
// plugins) makes TypeScript types for the super-app's operations from the checked-in
// schema.graphql; then the TypeScript compiler checks the generated file, strictly.
//
//   node codegen.mjs OUT_DIR
//
// The scalar mapping below is the one docs/interop.md documents for app teams.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "@graphql-codegen/cli";
import ts from "typescript";
import { run } from "./hub.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(here, "../..");
const out = process.argv[2];
if (!out) {
  process.stderr.write("usage: node codegen.mjs OUT_DIR\n");
  process.exit(2);
}

export const SCALARS = {
  NIK: "string", // 16 digits, always a string: a number would lose leading zeros and precision
  Date: "string", // ISO 8601 date, "2026-12-01"
  DateTime: "string", // ISO 8601 date and time with its offset
  Time: "string", // ISO 8601 time of day, "08:00:00"
  Decimal: "string", // a decimal in a string ("1250000.00"): exact, unlike a JS number
  // Apollo Federation's, for a gateway's _entities and @link; an app never sends them.
  _Any: "Record<string, unknown>",
  federation__FieldSet: "string",
  link__Import: "string | { name: string; as?: string }",
};

run(async () => {
  const documents = [
    join(root, "hub/static/examples/super-app/*.graphql"),
    join(here, "operations/*.graphql"),
  ];
  const outputs = await generate(
    {
      schema: join(root, "schema.graphql"),
      documents,
      silent: true,
      errorsOnly: true,
      generates: {
        [join(out, "hub.ts")]: {
          plugins: ["typescript", "typescript-operations"],
          // strictScalars: a scalar left out of SCALARS fails the generation.
          config: { strictScalars: true, scalars: SCALARS, enumsAsTypes: true },
        },
      },
    },
    false,
  );
  mkdirSync(out, { recursive: true });
  const file = join(out, "hub.ts");
  writeFileSync(file, outputs[0].content);

  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    skipLibCheck: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  const source = readFileSync(file, "utf8");
  const exported = [...source.matchAll(/^export type (\w+)/gm)].map((m) => m[1]);
  return { file, diagnostics, exported, scalars: extractScalars(source) };
});

/** The Scalars type as generated: name -> its TypeScript input and output types. */
function extractScalars(source) {
  const block = source.match(/export type Scalars = \{([\s\S]*?)\n\};/);
  if (!block) return {};
  const entries = [...block[1].matchAll(/^\s*(\w+): \{ input: (.*); output: (.*); \}$/gm)];
  return Object.fromEntries(entries.map(([, name, input, output]) => [name, { input, output }]));
}
