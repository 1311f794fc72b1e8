#!/usr/bin/env bash
# Fails on an #include that crosses the module graph (ARCHITECTURE.md):
#   cli -> builder -> {parser, store, runtime} -> common; parser, store, runtime never include
#   each other; common includes no module. Third-party headers stay in their owning module.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
forbid() { # forbid FOLDER PATTERN WHY
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.cpp' --include='*.hpp' || true)
  if [ -n "$hits" ]; then
    echo "check-includes: $3:"; echo "$hits"; status=1
  fi
}
forbid common '#include "(parser|store|runtime|builder|cli)/' "common includes a module"
forbid parser '#include "(store|runtime|builder|cli)/' "parser includes another module"
forbid store '#include "(parser|runtime|builder|cli)/' "store includes another module"
forbid runtime '#include "(parser|store|builder|cli)/' "runtime includes another module"
forbid builder '#include "cli/' "builder includes cli"
# PEGTL stays private to parser/*.cpp (grammar.hpp is parser-private and included only there).
for f in $(grep -rlE '#include <tao/pegtl' --include='*.hpp' . | grep -v '^./build' || true); do
  [ "$f" = "./parser/grammar.hpp" ] || { echo "check-includes: PEGTL in a header: $f"; status=1; }
done
if [ $status -eq 0 ]; then echo "check-includes: ok"; fi
exit $status
