#pragma once
// `build -o`: where a built image goes besides the store, as BuildKit's exporters name them.
//   type=local,dest=DIR   the image's filesystem as files in DIR (a plain `-o DIR` too)
//   type=tar,dest=FILE    the filesystem as one flat tar (`-` or no dest: stdout)
//   type=oci,dest=FILE    the image as an archive `strata load`/`docker load` read (OCI layout
//   type=docker,dest=FILE plus manifest.json: Docker 25's combined format serves both)
// A value that is none of these is `Error{usage}`.

#include <string>
#include <utility>
#include <vector>

#include "builder/build.hpp"
#include "cli/command.hpp"

namespace strata::cli {

struct BuildOutput {
  enum class Type { local, tar, oci, docker };
  Type type = Type::local;
  std::string dest; // "-" = stdout
};

// BuildKit's CSV attributes ("type=local,dest=out"): each comma-separated field as key and value
// (the value empty when the field has no '='). For `-o`, `--cache-to` and `--cache-from`.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> csv_attributes(
    const std::string& text);

[[nodiscard]] BuildOutput parse_build_output(const std::string& text);

// Writes the built image to the output (the image is already in the store).
void export_build_output(const GlobalOptions& global, const BuildOutput& output,
                         const builder::BuildResult& result,
                         const std::vector<store::Reference>& tags);

} // namespace strata::cli
