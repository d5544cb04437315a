import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWebSocketClient } from "graphql-ws";

export interface Connection {
  /** The server's GraphQL endpoint, e.g. http://127.0.0.1:8000/graphql */
  apiUrl: string;
  /** A bearer token (`insighta token --role analyst`, or signing in). */
  token: string;
}

export interface Api {
  client: Client;
  close(): void;
}

/** Queries over HTTP (a cross-origin POST: the server must list this page's origin in
 * CORS_ORIGINS), subscriptions over graphql-transport-ws on the same URL. */
export function connect({ apiUrl, token }: Connection): Api {
  const authorization = token ? { Authorization: `Bearer ${token}` } : undefined;
  // Browsers cannot set headers on a websocket: the token goes in connection_init.
  const sockets = createWebSocketClient({
    url: websocketUrl(apiUrl),
    connectionParams: authorization ?? {},
    lazy: true,
    retryAttempts: 3,
  });
  const client = new Client({
    url: apiUrl,
    preferGetMethod: false,
    requestPolicy: "network-only",
    fetchOptions: () => ({ headers: authorization ?? {} }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const operation = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              return { unsubscribe: sockets.subscribe(operation, sink) };
            },
          };
        },
      }),
    ],
  });
  return { client, close: () => void sockets.dispose() };
}

function websocketUrl(apiUrl: string): string {
  const url = new URL(apiUrl, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
