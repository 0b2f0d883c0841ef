// The stand-in for another agency's subgraph: Dinas Sosial's register of social
// assistance (bansos). It extends the hub's Citizen by its key, nik, with the
// programmes a citizen receives, and lists a programme's recipients as Citizen
// references that a gateway completes from the hub's _entities.
import { parse } from "graphql";

export const STAND_IN = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])

  scalar NIK

  "A citizen, as the hub keys them: Dinas Sosial adds the assistance they receive."
  type Citizen @key(fields: "nik") {
    nik: NIK!
    socialAssistance: [Benefit!]!
  }

  "One social-assistance programme a citizen receives (PKH, BPNT, PBI-JK)."
  type Benefit {
    programme: String!
  }

  type Query {
    "The recipients of a programme, as references the gateway completes from the hub."
    assistanceRecipients(programme: String!): [Citizen!]!
  }
`);

// recipients: {"PKH": ["<nik>", ...], ...}, who receives which programme.
export function standInResolvers(recipients) {
  const benefitsOf = (nik) =>
    Object.entries(recipients)
      .filter(([, niks]) => niks.includes(nik))
      .map(([programme]) => ({ programme }));
  return {
    Query: {
      assistanceRecipients: (_, { programme }) =>
        (recipients[programme] ?? []).map((nik) => ({ nik })),
    },
    Citizen: {
      __resolveReference: ({ nik }) => ({ nik }),
      socialAssistance: ({ nik }) => benefitsOf(nik),
    },
  };
}
