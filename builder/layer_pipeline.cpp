#include "builder/layer_pipeline.hpp"

#include <fcntl.h>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace strata::builder {

LayerPipeline::~LayerPipeline() {
  const std::lock_guard lock(mutex_);
  for (auto& [chain, job] : jobs_) {
    job.wait();
  }
}

void LayerPipeline::start(const store::Digest& chain, const store::Digest& diff_id,
                          const std::string& fs_path) {
  const std::lock_guard lock(mutex_);
  if (jobs_.contains(chain)) {
    return;
  }
  store::BlobStore* blobs = blobs_;
  const store::LayerWriteOptions options = options_;
  jobs_.emplace(chain, std::async(std::launch::async, [blobs, options, diff_id, fs_path] {
                         const UniqueFd fd(::open(fs_path.c_str(),
                                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                         if (!fd) {
                           throw_errno("open", fs_path);
                         }
                         const store::LayerBlob blob = store::write_layer(*blobs, fd.get(), options);
                         if (blob.diff_id != diff_id) {
                           throw Error(ErrorKind::corrupt,
                                       fmt::format("layer {} hashed to {} when measured and {} when "
                                                   "written",
                                                   fs_path, diff_id.str(), blob.diff_id.str()));
                         }
                         return store::Descriptor{blob.media_type, blob.digest, blob.size, {},
                                                  std::nullopt};
                       }).share());
}

std::optional<store::Descriptor> LayerPipeline::descriptor(const store::Digest& chain) {
  std::shared_future<store::Descriptor> job;
  {
    const std::lock_guard lock(mutex_);
    const auto it = jobs_.find(chain);
    if (it == jobs_.end()) {
      return std::nullopt;
    }
    job = it->second;
  }
  return job.get();
}

} // namespace strata::builder
