// Insighta's GraphiQL page: the token from `?token=` in the Authorization header editor,
// example queries in the default tabs, queries over HTTP and subscriptions over the same
// /graphql endpoint as a websocket (graphql-transport-ws, token in connection_init).
(function () {
  "use strict";

  const TOKEN_KEY = "insighta.token";
  const container = document.getElementById("graphiql");
  const endpoint = new URL(container.dataset.endpoint, window.location.href);
  const socketEndpoint = new URL(endpoint.href);
  socketEndpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // A `?token=` link (printed by `insighta serve`) fills the header editor once; the token
  // then leaves the address bar (history, screenshots, shared links) and lives in this tab's
  // sessionStorage, so a reload keeps it and closing the tab forgets it.
  function takeToken() {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get("token");
    if (fromUrl) {
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      try {
        window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
      } catch (error) {
        // Storage can be disabled; the token still fills this page's editor.
      }
      return fromUrl;
    }
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return null;
    }
  }

  const token = takeToken();
  const headers = JSON.stringify(
    { Authorization: "Bearer " + (token || "<run `insighta token --role analyst` and paste it here>") },
    null,
    2,
  );

  const TOUR = `# Insighta: demographic profiles over GraphQL.
# Run with the pink button (or Ctrl-Enter).
#
# Plain English and structured filters become one
# canonical filter: compare the two cacheKey values.
# Next page: pass pageInfo.endCursor as \`after\`.
query Tour {
  plainEnglish: profiles(
    query: "young males from kenya"
    first: 5
  ) {
    totalCount
    filter { gender countryId minAge maxAge cacheKey }
    edges { node { name age countryName } }
    pageInfo { hasNextPage endCursor }
  }
  structured: profiles(
    filter: {gender: MALE, countryId: "KE",
             minAge: 16, maxAge: 24}
    first: 5
  ) {
    totalCount
    filter { cacheKey }
  }
  interpretQuery(
    text: "Nigerian females between ages 20 and 45"
  ) {
    filter { gender countryId minAge maxAge }
    unmatched
  }
}
`;

  const BREAKDOWNS = `# Exact counts per group, and a CSV download link
# for any filter. The export URL is signed and
# short-lived: open it before expiresAt.
query Breakdowns {
  profileStats(query: "women in Nigeria", groupBy: [AGE_GROUP]) {
    key
    count
  }
  profileExport(query: "seniors from Ghana") {
    url
    expiresAt
  }
}
`;

  const SUBSCRIPTIONS = `# Subscriptions run over a websocket on the same
# /graphql endpoint (graphql-transport-ws). The
# Authorization header from the Headers tab goes in
# the connection_init payload: the same token works.
#
# For example, while a CSV upload runs (README):
#
# subscription Progress {
#   ingestionProgress(jobId: "<job id>") {
#     status totalRows inserted skipped
#   }
# }
`;

  const httpFetcher = GraphiQL.createFetcher({ url: endpoint.href });

  // One websocket per Authorization value: editing the header opens a fresh, re-authenticated
  // connection instead of reusing one that was accepted for another token.
  let socket = null;

  function socketClient(authorization) {
    if (socket !== null && socket.authorization === authorization) {
      return socket.client;
    }
    if (socket !== null) {
      socket.client.dispose();
    }
    const client = graphqlWs.createClient({
      url: socketEndpoint.href,
      lazy: true,
      connectionParams: authorization ? { Authorization: authorization } : {},
    });
    socket = { authorization: authorization, client: client };
    return client;
  }

  function authorizationOf(editorHeaders) {
    for (const [name, value] of Object.entries(editorHeaders || {})) {
      if (name.toLowerCase() === "authorization") {
        return String(value);
      }
    }
    return null;
  }

  function isSubscription(documentAST, operationName) {
    if (!documentAST) {
      return false;
    }
    const operations = documentAST.definitions.filter(
      (definition) => definition.kind === "OperationDefinition",
    );
    const operation = operationName
      ? operations.find((definition) => definition.name && definition.name.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    return Boolean(operation && operation.operation === "subscription");
  }

  async function* subscribe(client, params) {
    try {
      for await (const result of client.iterate(params)) {
        yield result;
      }
    } catch (error) {
      if (error instanceof CloseEvent) {
        throw new Error(("websocket closed: " + error.code + " " + (error.reason || "")).trim());
      }
      throw error;
    }
  }

  function fetcher(params, options) {
    if (isSubscription(options && options.documentAST, params.operationName)) {
      return subscribe(socketClient(authorizationOf(options.headers)), params);
    }
    return httpFetcher(params, options);
  }

  const root = ReactDOM.createRoot(container);
  root.render(
    React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        defaultTabs: [
          { query: TOUR, headers: headers },
          { query: BREAKDOWNS, headers: headers },
          { query: SUBSCRIPTIONS, headers: headers },
        ],
        defaultQuery: TOUR,
        headers: headers,
        defaultHeaders: headers,
        // Tokens stay out of localStorage; sessionStorage above keeps them for this tab only.
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
        defaultEditorToolsVisibility: "headers",
        inputValueDeprecation: true,
      },
      React.createElement(GraphiQL.Logo, null, "Insighta"),
    ),
  );
})();
