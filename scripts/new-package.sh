#!/usr/bin/env bash
# Scaffold a workspace package: scripts/new-package.sh <dir-name> [description]
# Creates packages/<name>/{package.json,tsconfig.json,tsconfig.build.json,src/index.ts,test/,README.md}.
set -euo pipefail
name="$1"; desc="${2:-FlexPaxos $1}"
dir="packages/$name"
[ -e "$dir" ] && { echo "$dir exists" >&2; exit 1; }
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "@flexpaxos/$name",
  "version": "0.1.0",
  "description": "$desc",
  "type": "module",
  "license": "MIT",
  "exports": {
    ".": {
      "source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "files": ["dist", "src"],
  "scripts": {
    "build": "tsc -p tsconfig.build.json",
    "typecheck": "tsc -p tsconfig.json --noEmit"
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src", "test"]
}
JSON
cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "customConditions": [],
    "rootDir": "src",
    "outDir": "dist",
    "noEmit": false
  },
  "include": ["src"]
}
JSON
echo "export {};" > "$dir/src/index.ts"
echo "# @flexpaxos/$name" > "$dir/README.md"
echo "created $dir: give it a layer in scripts/check-workspace.mjs (LAYERS)"
