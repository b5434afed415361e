#!/bin/sh
# Builds and signs the example systems' images with `sila image`, as a user would:
#   examples/systems/web-app/images/{frontend,shop-api,postgres}   signed by the team's key
#   examples/systems/plugin-host/images/{host,spellcheck,toolbar}  host and spellcheck signed
#     by the vendor's key; toolbar by a stranger's key, which the boot keyring does not hold
# Only the public keys are kept (keys/*.pub.json); the private keys live in a temporary
# directory and are thrown away, so running this again makes new keys and new signatures.
# The manifest digests (what the kernel names images by) stay the same. Run from the
# repository root after `npm ci`: sh examples/systems/build-images.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sila="node $(pwd)/dist/cli/main.js"
secret=$(mktemp -d)
trap 'rm -rf "$secret"' EXIT

# image SYSTEM NAME VERSION MEMORY KEY REQUESTS: builds SYSTEM/images/NAME and signs it with KEY.
image() {
  system=$1 name=$2 version=$3 memory=$4 key=$5 requests=$6
  work="$secret/$system-$name"
  mkdir -p "$work"
  printf '%s %s: an opaque module (SILA code is not defined here)\n' "$name" "$version" > "$work/module.bin"
  printf '{ "name": "%s", "version": "%s", "entry": "main", "requests": %s, "limits": { "memoryBytes": %s } }\n' \
    "$name" "$version" "$requests" "$memory" > "$work/manifest.json"
  rm -rf "$here/$system/images/$name"
  $sila image build --manifest "$work/manifest.json" --module "$work/module.bin" --out "$here/$system/images/$name" > /dev/null
  $sila image sign "$here/$system/images/$name" --key "$secret/$key.key.json" > /dev/null
}

# key SYSTEM NAME: a fresh key pair, the public half kept in SYSTEM/keys.
key() {
  $sila image keygen --out "$secret" --name "$2" > /dev/null
  mkdir -p "$here/$1/keys"
  cp "$secret/$2.pub.json" "$here/$1/keys/$2.pub.json"
}

rm -rf "$here/web-app/keys" "$here/plugin-host/keys"
key web-app team
image web-app frontend 1.4.0 128 team '[{ "kind": "endpoint", "rights": ["write"], "purpose": "the shop API" }]'
image web-app shop-api 2.0.0 128 team '[{ "kind": "endpoint", "rights": ["read", "write", "grant"], "purpose": "its own API endpoint" }, { "kind": "endpoint", "rights": ["write"], "purpose": "the database" }]'
image web-app postgres 16.1.0 128 team '[{ "kind": "endpoint", "rights": ["read", "write", "grant"], "purpose": "its query endpoint" }, { "kind": "region", "rights": ["read", "write"], "purpose": "the tables" }]'

key plugin-host vendor
$sila image keygen --out "$secret" --name stranger > /dev/null
image plugin-host host 3.2.0 128 vendor '[{ "kind": "container", "rights": ["read", "write", "execute", "grant", "control"], "purpose": "the plugin sandbox" }, { "kind": "endpoint", "rights": ["read", "write", "grant"], "purpose": "the mailbox it shares with its plugins" }]'
image plugin-host spellcheck 1.1.0 128 vendor '[{ "kind": "endpoint", "rights": ["read", "write"], "purpose": "its mailbox to the host" }]'
image plugin-host toolbar 0.3.0 128 stranger '[{ "kind": "endpoint", "rights": ["read", "write"], "purpose": "its mailbox to the host" }]'
echo "built: $(cd "$here" && ls -d */images/* | tr '\n' ' ')"
