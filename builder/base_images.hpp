#pragma once
// The images a build starts from or copies out of (FROM, `COPY --from=<image>`,
// `RUN --mount=from=<image>`), made present in the store before the build starts — pulled from
// their registries as the pull policy says (`strata build --pull`).
//
// Why before: a build holds the store's content lock shared for its whole length, and a failed
// pull rolls back under the exclusive gc lock (`store::pull_image`'s rollback, through
// `ImageStore::remove_unreferenced`): a pull inside the build would wait for its own build's lock.
// So `build_image` collects the stage graph's image references (the needed stages' bases and
// `Stage::images`, as the graph expanded them) and pulls them first, one after another, each as
// a vertex `[internal] load metadata for REF` with docker's pull lines.
//
// Failure: `StepError` naming the instruction that refers to the image (Dockerfile:LINE), with
// the vertex's lines as its tail: the pull's own error, or, for `PullPolicy::never`, "not in the
// store". A name that is not a valid reference is left to the build (an image ID, a stage
// referred to by a name the build resolves later).

#include <cstddef>
#include <string>
#include <vector>

#include "builder/build.hpp"
#include "parser/stage_graph.hpp"
#include "store/image_store.hpp"

namespace strata::builder {

void pull_base_images(const BuildOptions& options, Progress& progress, store::ImageStore& images,
                      const parser::StageGraph& graph, const std::vector<std::size_t>& needed,
                      const std::string& file_label);

} // namespace strata::builder
