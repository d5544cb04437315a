// The live transcript page: follows transcriptUpdates(interviewId) over the /graphql websocket
// (graphql-transport-ws, token in connection_init) and appends `[HH:MM:SS] Label: text` per turn.
// The subscription replays stored turns first, so a reload shows the whole transcript again.
(function () {
  "use strict";

  const TOKEN_KEY = "insighta.token";
  const status = document.getElementById("status");
  const list = document.getElementById("transcript");
  const endpoint = new URL(status.dataset.endpoint, window.location.href);
  endpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // Like GraphiQL: `?token=` leaves the address bar at once and stays in this tab only.
  function takeToken() {
    const url = new URL(window.location.href);
    const fromUrl = url.searchParams.get("token");
    if (fromUrl) {
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
      try {
        window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
      } catch (error) {
        // Storage can be disabled; the token still serves this page load.
      }
      return fromUrl;
    }
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return null;
    }
  }

  function show(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  const interviewId = new URL(window.location.href).searchParams.get("interview");
  const token = takeToken();
  if (!interviewId) {
    show("Add ?interview=<interview id> to the address.", true);
    return;
  }

  const QUERY = `subscription LiveTranscript($id: ID!) {
  transcriptUpdates(interviewId: $id) { id sequenceNo speakerLabel text timestamp }
}`;
  const seen = new Set();
  const client = graphqlWs.createClient({
    url: endpoint.href,
    connectionParams: token ? { Authorization: "Bearer " + token } : {},
    // After a dropped connection the replay resends stored turns; `seen` drops repeats.
    retryAttempts: 5,
    on: { connected: () => show("Live: waiting for turns…") },
  });

  client.subscribe(
    { query: QUERY, variables: { id: interviewId } },
    {
      next(result) {
        if (result.errors && result.errors.length) {
          show(result.errors.map((error) => error.message).join("; "), true);
          return;
        }
        const turn = result.data && result.data.transcriptUpdates;
        if (!turn || seen.has(turn.id)) {
          return;
        }
        seen.add(turn.id);
        const item = document.createElement("li");
        item.dataset.sequenceNo = String(turn.sequenceNo);
        // textContent, never innerHTML: transcript text is whatever was said.
        item.textContent = `[${turn.timestamp}] ${turn.speakerLabel}: ${turn.text}`;
        list.appendChild(item);
        show(`Live: ${seen.size} turn${seen.size === 1 ? "" : "s"}`);
      },
      error(error) {
        const message = Array.isArray(error)
          ? error.map((item) => item.message).join("; ")
          : (error && (error.reason || error.message)) || "connection lost";
        show("Stopped: " + message, true);
      },
      complete() {
        show(`Interview ended: ${seen.size} turn${seen.size === 1 ? "" : "s"}`);
      },
    },
  );
})();
