// graphql-http's server audits against a running Insighta: `node audit.mjs <graphql url>`.
// Prints one line per audit that did not pass and a summary line
// (`ok N, warnings N, errors N`); exits 1 unless every audit passed.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <graphql url>");
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== "ok") {
    const response = result.response;
    const body = response ? await response.text().catch(() => "(body already read)") : "";
    const status = response ? `${response.status} ${response.headers.get("content-type")}` : "";
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}`);
    if (response) console.log(`    got ${status}: ${body.slice(0, 300)}`);
  }
}
console.log(`ok ${counts.ok}, warnings ${counts.warn}, errors ${counts.error}`);
process.exit(counts.warn + counts.error === 0 ? 0 : 1);
