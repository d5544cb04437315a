import type { CombinedError } from "@urql/core";
import { connect, type Api } from "./client";
import { SearchProfiles, TranscriptUpdates } from "./operations";
import type { SearchProfilesQuery } from "./gql/graphql";

const PAGE_SIZE = 5;
const DEFAULT_API = "http://127.0.0.1:8000/graphql";
// The API the page used, kept across the round trip through GitHub (this tab only).
const API_STORAGE_KEY = "insighta.api";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const form = {
  connection: element<HTMLFormElement>("connection"),
  apiUrl: element<HTMLInputElement>("api-url"),
  token: element<HTMLInputElement>("token"),
  connectionStatus: element("connection-status"),
  githubSignIn: element<HTMLButtonElement>("github-sign-in"),
  search: element<HTMLFormElement>("search"),
  query: element<HTMLInputElement>("query"),
  searchError: element("search-error"),
  summary: element("summary"),
  profiles: element<HTMLTableElement>("profiles"),
  nextPage: element<HTMLButtonElement>("next-page"),
  watch: element<HTMLFormElement>("watch"),
  interview: element<HTMLInputElement>("interview"),
  transcriptStatus: element("transcript-status"),
  turns: element<HTMLOListElement>("turns"),
};

// ?api=...&token=... (and optionally &q=... or &interview=...) fill the form. The token then
// leaves the address bar, so it is not kept in history or sent on in a Referer.
const params = new URLSearchParams(window.location.search);
const github = signedInWithGitHub();
form.apiUrl.value = params.get("api") ?? sessionStorage.getItem(API_STORAGE_KEY) ?? DEFAULT_API;
form.token.value = github?.token ?? params.get("token") ?? "";
form.query.value = params.get("q") ?? "";
form.interview.value = params.get("interview") ?? "";
if (params.has("token")) {
  params.delete("token");
  const rest = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : ""));
}

let api: Api = reconnect();
let search: { query: string; after: string | null; page: number } | null = null;
let watching: { unsubscribe(): void } | null = null;
if (github) form.connectionStatus.textContent = `Signed in with GitHub as @${github.login}`;

// Sign in with GitHub: the server runs the OAuth flow (PKCE and `state`, docs/security.md)
// and comes back to APP_URL/auth/github with the tokens in the fragment;
// public/auth/github/index.html brings the fragment here. The server's APP_URL must be this
// app's origin.
form.githubSignIn.addEventListener("click", () => {
  const apiUrl = form.apiUrl.value.trim();
  let start: URL;
  try {
    start = new URL("/auth/github/start", apiUrl);
  } catch {
    form.connectionStatus.textContent = `Not an API address: ${apiUrl}`;
    return;
  }
  sessionStorage.setItem(API_STORAGE_KEY, apiUrl);
  window.location.assign(start.toString());
});

/** The session a GitHub sign-in brought back in the fragment, taken out of the address bar
 * and the history at once; null when the page was not opened by one. */
function signedInWithGitHub(): { token: string; login: string } | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("access_token");
  if (!token) return null;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  return { token, login: fragment.get("github_login") ?? "" };
}

function reconnect(): Api {
  const next = connect({ apiUrl: form.apiUrl.value.trim(), token: form.token.value.trim() });
  form.connectionStatus.textContent = `Using ${form.apiUrl.value.trim()}`;
  return next;
}

form.connection.addEventListener("submit", (event) => {
  event.preventDefault();
  watching?.unsubscribe();
  api.close();
  api = reconnect();
});

form.search.addEventListener("submit", (event) => {
  event.preventDefault();
  search = { query: form.query.value.trim(), after: null, page: 1 };
  void runSearch();
});

form.nextPage.addEventListener("click", () => {
  if (search) void runSearch();
});

async function runSearch(): Promise<void> {
  if (!search) return;
  form.nextPage.disabled = true;
  const result = await api.client
    .query(SearchProfiles, { query: search.query, first: PAGE_SIZE, after: search.after })
    .toPromise();
  form.searchError.hidden = !result.error;
  if (result.error || !result.data) {
    form.searchError.textContent = describeError(result.error);
    return;
  }
  showPage(result.data.profiles, search.page);
  const { hasNextPage, endCursor } = result.data.profiles.pageInfo;
  // Keyset paging: the next page starts after this page's last cursor.
  search = { ...search, after: endCursor ?? null, page: search.page + 1 };
  form.nextPage.hidden = !hasNextPage;
  form.nextPage.disabled = !hasNextPage;
}

function showPage(profiles: SearchProfilesQuery["profiles"], page: number): void {
  form.summary.textContent = `${profiles.totalCount} profiles, page ${page}`;
  const body = form.profiles.tBodies[0];
  body.replaceChildren(
    ...profiles.edges.map(({ node }) => {
      const row = document.createElement("tr");
      const values = [node.name, node.gender.toLowerCase(), String(node.age), node.countryName];
      for (const value of values) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.append(cell);
      }
      return row;
    }),
  );
  form.profiles.hidden = false;
}

form.watch.addEventListener("submit", (event) => {
  event.preventDefault();
  watching?.unsubscribe();
  form.turns.replaceChildren();
  const seen = new Set<number>();
  setTranscriptStatus("Live: waiting for turns…", "live");
  watching = api.client
    .subscription(TranscriptUpdates, { interviewId: form.interview.value.trim() })
    .subscribe((result) => {
      if (result.error) {
        setTranscriptStatus(`Stopped: ${describeError(result.error)}`, "error");
        return;
      }
      const turn = result.data?.transcriptUpdates;
      if (!turn || seen.has(turn.sequenceNo)) return;
      seen.add(turn.sequenceNo);
      const line = document.createElement("li");
      line.textContent = `[${turn.timestamp}] ${turn.speakerLabel}: ${turn.text}`;
      form.turns.append(line);
      setTranscriptStatus(`Live: ${seen.size} turn${seen.size === 1 ? "" : "s"}`, "live");
    });
});

function setTranscriptStatus(text: string, state: "live" | "error"): void {
  form.transcriptStatus.textContent = text;
  form.transcriptStatus.dataset.state = state;
}

function describeError(error: CombinedError | undefined): string {
  if (!error) return "no data";
  const [first] = error.graphQLErrors;
  if (first) {
    const code = first.extensions?.code;
    return typeof code === "string" ? `[${code}] ${first.message}` : first.message;
  }
  return error.networkError ? `cannot reach the API (${error.networkError.message})` : error.message;
}
