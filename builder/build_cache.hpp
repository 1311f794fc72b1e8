#pragma once
// `BuildCache`: the store's build cache records (DESIGN.md "The store on disk": `cache/`).
//
// ON-DISK FORMAT
//   <root>/cache/build/<key-hex>.json      one record per step result:
//       {"config": <the image config document after the step>,
//        "layers": [{"mediaType", "digest", "size", "diff_id", "chain_id"}, ...]}  bottom first
//   <root>/cache/explain/<slot-hex>.json   the inputs of the last miss of one step of one
//       Dockerfile (slot = digest of the Dockerfile's path, the stage and the step's index), so
//       the next miss can say which input changed.
// Both are written with `write_file_atomically` (a record is complete or absent). A record only
// names content: a hit is used only if every layer's blob and snapshot is still in the store
// (gc may have removed them; then it is a miss). Only builds write records, so a loaded or
// pulled image never serves as cache for steps it did not produce.
//
// Thread-safety: any thread; records are immutable once written.

#include <optional>
#include <string>

#include "builder/build_state.hpp"
#include "store/image_store.hpp"

namespace strata::builder {

class ImportedCache;

class BuildCache {
public:
  explicit BuildCache(store::ImageStore& images);

  // The state a step with this key produced, if recorded and still complete in the store — or,
  // failing that, if `imported` (remote_cache.hpp) has it: then materialised and recorded here.
  [[nodiscard]] std::optional<ImageState> lookup(const store::Digest& key) const;
  // `--cache-from`'s records (borrowed; must outlive this cache's lookups).
  void set_imported(const ImportedCache* imported) noexcept { imported_ = imported; }
  // The stored record of `key` as written (for `--cache-to`), if there is one.
  [[nodiscard]] std::optional<std::string> record_text(const store::Digest& key) const;
  void record(const store::Digest& key, const ImageState& state) const;

  // `--explain`: the reason this step missed, compared with its inputs at the last miss in
  // `slot`; records the new inputs.
  [[nodiscard]] std::string explain_miss(const store::Digest& slot, const StepInputs& inputs) const;

private:
  [[nodiscard]] std::optional<ImageState> lookup_local(const store::Digest& key) const;

  store::ImageStore* images_;
  const ImportedCache* imported_ = nullptr;
  std::string records_;
  std::string explain_;
};

} // namespace strata::builder
