#!/usr/bin/env bash
# Rebuild the GraphiQL assets the server ships in server/static/graphiql/vendor/.
#
# The built files are committed, so nobody needs Node to run Insighta; run this only to move
# to new versions (edit the pins below, run, review the diff, commit). It needs `npm` and the
# npm registry. Each tarball is checked against its pinned integrity before anything is copied.
set -euo pipefail
cd "$(dirname "$0")/.."

# name@version  sha512 integrity (from `npm view NAME@VERSION dist.integrity`)
PACKAGES=(
    "graphiql@3.8.3 sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw=="
    "react@18.3.1 sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ=="
    "react-dom@18.3.1 sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw=="
    "graphql-ws@5.16.2 sha512-E1uccsZxt/96jH/OwmLPuXMACILs76pKF2i3W861LpKBCYtGIyPQGtWLuBLkND4ox1KHns70e83PS4te50nvPQ=="
)
# package  file inside the tarball  name it gets in vendor/
FILES=(
    "graphiql package/graphiql.min.js graphiql.min.js"
    "graphiql package/graphiql.min.css graphiql.min.css"
    "graphiql package/LICENSE LICENSE.graphiql"
    "react package/umd/react.production.min.js react.production.min.js"
    "react package/LICENSE LICENSE.react"
    "react-dom package/umd/react-dom.production.min.js react-dom.production.min.js"
    "react-dom package/LICENSE LICENSE.react-dom"
    "graphql-ws package/umd/graphql-ws.min.js graphql-ws.min.js"
    "graphql-ws package/LICENSE.md LICENSE.graphql-ws"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
vendor="server/static/graphiql/vendor"

for entry in "${PACKAGES[@]}"; do
    spec="${entry%% *}"
    expected="${entry#* }"
    name="${spec%@*}"
    tarball="$(cd "$work" && npm pack --silent "$spec")"
    actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
    if [[ "$actual" != "$expected" ]]; then
        echo "integrity mismatch for $spec: got $actual" >&2
        exit 1
    fi
    mkdir -p "$work/$name"
    tar -xzf "$work/$tarball" -C "$work/$name"
done

rm -rf "$vendor"
mkdir -p "$vendor"
for entry in "${FILES[@]}"; do
    read -r name source target <<<"$entry"
    cp "$work/$name/$source" "$vendor/$target"
done
# Source maps are not shipped: drop the comments that point at them (the browser would 404).
sed -i '/^\/\/# sourceMappingURL=/d' "$vendor/graphiql.min.js" "$vendor/react.production.min.js" \
    "$vendor/react-dom.production.min.js" "$vendor/graphql-ws.min.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$vendor/graphiql.min.css"

{
    echo "# Built by scripts/build_graphiql.sh; do not edit by hand."
    for entry in "${PACKAGES[@]}"; do echo "$entry"; done
} >"$vendor/VERSIONS"
echo "GraphiQL assets written to $vendor:"
ls -l "$vendor"
