// Super-app contoh: "Masuk dengan akun kota" with OAuth 2.0 authorization code + PKCE
// (RFC 6749, RFC 7636), then the citizen's profile, family and children's school
// admissions from Citizen Hub's GraphQL. No library, no build step. docs/sign-in.md
// explains each step.
//
// Settings: ?client_id=...&purpose=...&scope=...&hub=https://hub... in the address, or
// config.json beside this page (the demo hub serves one). They are kept for the tab.
"use strict";

const store = window.sessionStorage;
const CONFIG = "superapp.config";
const FLIGHT = "superapp.flight"; // the state and PKCE verifier of a sign-in in progress
const TOKENS = "superapp.tokens"; // a real app keeps tokens in memory or secure storage

const $ = (id) => document.getElementById(id);

function show(id, visible) {
  $(id).hidden = !visible;
}

function status(text) {
  $("status").textContent = text;
}

function fail(text) {
  $("error").textContent = text;
  show("error", Boolean(text));
}

// --- PKCE: a random verifier, and its SHA-256 as the challenge (WebCrypto) ---

function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(length) {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

async function s256(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

// --- settings and the hub's metadata (RFC 8414) ---

async function loadConfig() {
  const query = new URLSearchParams(location.search);
  if (query.get("client_id")) {
    const config = {
      hub: (query.get("hub") || location.origin).replace(/\/$/, ""),
      client_id: query.get("client_id"),
      purpose: query.get("purpose") || "",
      scope: query.get("scope") || "",
    };
    store.setItem(CONFIG, JSON.stringify(config));
    history.replaceState(null, "", location.pathname);
    return config;
  }
  const saved = store.getItem(CONFIG);
  if (saved) return JSON.parse(saved);
  const response = await fetch("config.json");
  if (!response.ok) {
    throw new Error("Tidak ada client_id: buka halaman ini dengan ?client_id=...");
  }
  const config = await response.json();
  config.hub = location.origin;
  store.setItem(CONFIG, JSON.stringify(config));
  return config;
}

async function loadMetadata(config) {
  const response = await fetch(config.hub + "/.well-known/oauth-authorization-server");
  if (!response.ok) throw new Error("Metadata hub tidak dapat dibaca");
  return response.json();
}

function redirectUri() {
  return location.origin + location.pathname;
}

// --- 1. to the hub's authorization endpoint ---

async function signIn(config, meta) {
  const verifier = randomText(32);
  const state = randomText(16);
  store.setItem(FLIGHT, JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    state,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
    ui_locales: "id",
  });
  if (config.scope) params.set("scope", config.scope);
  if (config.purpose) params.set("purpose", config.purpose);
  location.assign(meta.authorization_endpoint + "?" + params.toString());
}

// --- 2. back with a code: check state (and iss), exchange code + verifier for tokens ---

async function tokenRequest(meta, form) {
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    body: new URLSearchParams(form), // application/x-www-form-urlencoded
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`${body.error}: ${body.error_description || ""}`);
  }
  return body;
}

function keep(tokens) {
  store.setItem(
    TOKENS,
    JSON.stringify({
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      scope: tokens.scope,
      expires_at: Date.now() + tokens.expires_in * 1000,
    }),
  );
}

function tokens() {
  const saved = store.getItem(TOKENS);
  return saved ? JSON.parse(saved) : null;
}

async function finishSignIn(config, meta, query) {
  const flight = JSON.parse(store.getItem(FLIGHT) || "null");
  store.removeItem(FLIGHT); // a code and its verifier are used once
  history.replaceState(null, "", location.pathname);
  if (!flight || query.get("state") !== flight.state) {
    throw new Error("state tidak cocok: jawaban ini bukan untuk permintaan masuk dari halaman ini");
  }
  if (query.get("iss") && query.get("iss") !== meta.issuer) {
    throw new Error("iss tidak cocok: jawaban ini bukan dari hub yang dimintai (RFC 9207)");
  }
  if (query.get("error")) {
    const why = query.get("error") === "access_denied" ? "Anda tidak memberi izin." : "";
    throw new Error(`${why} (${query.get("error")}: ${query.get("error_description") || ""})`);
  }
  keep(
    await tokenRequest(meta, {
      grant_type: "authorization_code",
      code: query.get("code"),
      redirect_uri: redirectUri(),
      client_id: config.client_id,
      code_verifier: flight.verifier,
    }),
  );
}

// --- 3. the citizen's data through /graphql ---

// The page sends registered documents only, by id (trusted documents): their text is in
// super-app.graphql and withdraw.graphql beside this file, registered with
// `citizen-hub documents add` (the demo registers them at start). A test keeps these ids
// in step with those files.
const DOCUMENTS = {
  SuperApp: "sha256:78a12faf3689f66ff71280666993fe23f247758ab5fe931436b1ac785b9058e3",
  Withdraw: "sha256:26e6143061e6f5cb84a26d32946040b03c52b48b9d44d553f8b6aa69cd3b16fd",
};

async function graphql(config, documentId, variables) {
  const saved = tokens();
  const response = await fetch(config.hub + "/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: "Bearer " + saved.access_token,
    },
    body: JSON.stringify({ documentId, variables: variables || {} }),
  });
  const body = await response.json();
  if (response.status === 401) {
    const message = body.errors ? body.errors[0].message : response.statusText;
    throw new Error("Token ditolak: " + message);
  }
  return body;
}

function item(list, text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  list.append(li);
}

function denied(errors, path) {
  // FORBIDDEN at this path: a field the citizen did not allow (extensions.scope says which).
  const error = (errors || []).find(
    (e) => e.path && e.path.join(".") === path && e.extensions && e.extensions.code === "FORBIDDEN",
  );
  return error ? error.extensions.scope || error.extensions.reason || "FORBIDDEN" : null;
}

function render(body) {
  const me = (body.data && body.data.me) || {};
  const errors = body.errors || [];
  const profile = $("profile");
  profile.replaceChildren();
  const rows = [
    ["Nama", "me.fullName", me.fullName],
    ["Tanggal lahir", "me.birthDate", me.birthDate],
    [
      "Alamat",
      "me.address",
      me.address &&
        [me.address.street, `RT ${me.address.rt}/RW ${me.address.rw}`, me.address.kelurahan, me.address.kecamatan]
          .filter(Boolean)
          .join(", "),
    ],
  ];
  for (const [label, path, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    const scope = denied(errors, path);
    dd.textContent = scope ? `tidak diizinkan (${scope})` : value || "—";
    if (scope) dd.className = "denied";
    profile.append(dt, dd);
  }

  const family = $("family");
  const schools = $("schools");
  family.replaceChildren();
  schools.replaceChildren();
  const familyDenied = denied(errors, "me.family");
  if (familyDenied) {
    item(family, `tidak diizinkan (${familyDenied})`, "denied");
    item(schools, "tidak terlihat tanpa data keluarga", "denied");
    return;
  }
  const members = (me.family && me.family.members) || [];
  let schoolDenied = null;
  members.forEach((member, index) => {
    const citizen = member.citizen || {};
    item(family, `${citizen.fullName || "—"} (${member.relationship})`);
    const path = `me.family.members.${index}.citizen.schoolAdmissions`;
    const scope = denied(errors, path);
    if (scope === "psb:read") schoolDenied = scope;
    for (const admission of citizen.schoolAdmissions || []) {
      const school = admission.acceptedSchool ? ` di ${admission.acceptedSchool.name}` : "";
      item(
        schools,
        `${citizen.fullName}: ${admission.level} ${admission.academicYear}, ${admission.status}${school}`,
      );
    }
  });
  if (schoolDenied) {
    item(schools, `tidak diizinkan (${schoolDenied})`, "denied");
  } else if (!schools.children.length) {
    item(schools, "belum ada pendaftaran sekolah");
  }
}

async function loadData(config) {
  const saved = tokens();
  $("granted").textContent = saved.scope;
  render(await graphql(config, DOCUMENTS.SuperApp));
}

// --- 4. refresh (the refresh token rotates), withdraw, sign out (RFC 7009) ---

async function refresh(config, meta) {
  const saved = tokens();
  keep(
    await tokenRequest(meta, {
      grant_type: "refresh_token",
      refresh_token: saved.refresh_token,
      client_id: config.client_id,
    }),
  );
  status("Token diperbarui.");
}

async function withdraw(config) {
  const body = await graphql(
    config,
    DOCUMENTS.Withdraw,
    { app: config.client_id },
  );
  if (body.errors) throw new Error(body.errors[0].message);
  status("Izin dicabut. Aplikasi ini tidak dapat lagi membaca data Anda; masuk lagi untuk memberi izin baru.");
}

async function signOut(meta, config) {
  const saved = tokens();
  if (saved && saved.refresh_token && meta.revocation_endpoint) {
    await fetch(meta.revocation_endpoint, {
      method: "POST",
      body: new URLSearchParams({
        token: saved.refresh_token,
        token_type_hint: "refresh_token",
        client_id: config.client_id,
      }),
    });
  }
  store.removeItem(TOKENS);
}

function guard(action) {
  return async () => {
    fail("");
    try {
      await action();
    } catch (error) {
      fail(error.message);
    }
  };
}

async function main() {
  const config = await loadConfig();
  const meta = await loadMetadata(config);
  $("manage").href = config.hub + "/oauth/consents";
  $("sign-in").addEventListener("click", guard(() => signIn(config, meta)));
  $("reload").addEventListener("click", guard(() => loadData(config)));
  $("refresh").addEventListener("click", guard(async () => {
    await refresh(config, meta);
    await loadData(config);
  }));
  $("withdraw").addEventListener("click", guard(() => withdraw(config)));
  $("sign-out").addEventListener("click", guard(async () => {
    await signOut(meta, config);
    status("Anda keluar dari aplikasi ini.");
    show("signed-in", false);
    show("signed-out", true);
  }));
  const query = new URLSearchParams(location.search);
  if (query.has("code") || query.has("error")) {
    status("Menukar kode dengan token…");
    try {
      await finishSignIn(config, meta, query);
      status("Berhasil masuk.");
    } catch (error) {
      status("");
      fail(error.message);
    }
  }
  const signedIn = Boolean(tokens());
  show("signed-in", signedIn);
  show("signed-out", !signedIn);
  if (signedIn) await loadData(config);
}

main().catch((error) => {
  fail(error.message);
  show("signed-out", true);
});
