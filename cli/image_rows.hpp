#pragma once
// The facts about images that several commands show: sizes, and `images` rows.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/image_store.hpp"

namespace strata::cli {

// The unpacked size of each layer (snapshot sizes; the blob size where a layer is not unpacked).
[[nodiscard]] std::vector<std::uint64_t> layer_sizes(const store::ImageStore& images,
                                                     const store::ImageDetail& image);
// The image's unpacked size: the sum of `layer_sizes`.
[[nodiscard]] std::uint64_t image_size(const store::ImageStore& images,
                                       const store::ImageDetail& image);

// One row per tag (one `<none>` row for a dangling image), newest image first, with the fields
// `docker images --format` knows: ID, Repository, Tag, Digest, CreatedSince, CreatedAt, Size,
// Containers, SharedSize, UniqueSize, VirtualSize.
[[nodiscard]] std::vector<nlohmann::json> image_rows(const store::ImageStore& images,
                                                     bool no_trunc);

// Docker's CreatedAt rendering of an RFC 3339 time: "2024-01-02 03:04:05 +0000 UTC".
[[nodiscard]] std::string created_at(const std::string& rfc3339);

} // namespace strata::cli
