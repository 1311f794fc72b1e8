#include "builder/base_images.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "store/registry_client.hpp"

namespace strata::builder {
namespace {

struct ImageUse {
  std::string name;         // as the Dockerfile (after expansion) names it
  std::size_t instruction;  // the instruction that names it
};

std::vector<ImageUse> image_uses(const parser::StageGraph& graph,
                                 const std::vector<std::size_t>& needed) {
  std::vector<ImageUse> out;
  const auto add = [&](const std::string& name, std::size_t at) {
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const ImageUse& u) { return u.name == name; });
    if (!seen && !name.empty()) {
      out.push_back({name, at});
    }
  };
  for (const std::size_t s : needed) {
    const parser::Stage& stage = graph.stages().at(s);
    if (!stage.base_stage && !stage.is_scratch()) {
      add(stage.base, stage.from_instruction);
    }
    for (const parser::ImageReference& image : stage.images) {
      add(image.reference, image.instruction);
    }
  }
  return out;
}

void pull_one(Progress& progress, store::ImageStore& images, const store::Reference& ref,
              int vertex) {
  store::RegistryOptions registry;
  registry.progress = [&](std::string_view line) { progress.note(vertex, line); };
  const store::PullResult result = store::pull_image(images, ref, registry);
  progress.note(vertex, fmt::format("{} {}", result.updated ? "pulled" : "up to date",
                                    result.digest.str()));
}

} // namespace

void pull_base_images(const BuildOptions& options, Progress& progress, store::ImageStore& images,
                      const parser::StageGraph& graph, const std::vector<std::size_t>& needed,
                      const std::string& file_label) {
  for (const ImageUse& use : image_uses(graph, needed)) {
    const std::optional<store::Reference> parsed = store::Reference::try_parse(use.name);
    if (!parsed) {
      continue;
    }
    const store::Reference ref = parsed->with_default_tag();
    const bool present = images.try_resolve(use.name).has_value();
    // `always` re-reads a tag (it may have moved); a digest names the same content anywhere.
    if (present && (options.pull != PullPolicy::always || ref.digest())) {
      continue;
    }
    const int vertex = progress.begin("[internal] load metadata for " + ref.str());
    const parser::Instruction& inst = graph.instructions().at(use.instruction);
    try {
      if (options.pull == PullPolicy::never) {
        throw Error(ErrorKind::not_found,
                    "the image is not in the store, and the pull policy is \"never\"");
      }
      pull_one(progress, images, ref, vertex);
      progress.done(vertex);
    } catch (const Error& e) {
      progress.error(vertex, e.message());
      // Offline, the way out is another way in: say it.
      const std::string hint =
          present || options.pull == PullPolicy::never
              ? ""
              : " (the image is not in the store: `strata load`, `strata import` or `strata pull` "
                "can put it there)";
      throw StepError(Error(e.kind(), fmt::format("failed to resolve source metadata for {}: {}{}",
                                                  ref.str(), e.what(), hint)),
                      inst.range(file_label), progress.name(vertex), progress.tail(vertex, 10));
    }
  }
}

} // namespace strata::builder
