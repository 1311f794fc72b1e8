#pragma once
// OCI and Docker media types (image-spec `media-types.md`, distribution's schema2). strata writes
// the OCI ones and accepts Docker's on input (`load`, `pull`), as containerd does.

#include <string_view>

namespace strata::store::media_type {

inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";

inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_layer_foreign =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// Whether `type` names an image manifest (OCI or Docker schema2).
[[nodiscard]] constexpr bool is_manifest(std::string_view type) noexcept {
  return type == oci_manifest || type == docker_manifest;
}
// Whether `type` names an index / manifest list.
[[nodiscard]] constexpr bool is_index(std::string_view type) noexcept {
  return type == oci_index || type == docker_manifest_list;
}
// Whether `type` names an image config.
[[nodiscard]] constexpr bool is_config(std::string_view type) noexcept {
  return type == oci_config || type == docker_config;
}
// Whether `type` names a layer strata can apply (plain, gzip or zstd tar; OCI or Docker).
[[nodiscard]] constexpr bool is_layer(std::string_view type) noexcept {
  return type == oci_layer || type == oci_layer_gzip || type == oci_layer_zstd ||
         type == docker_layer || type == docker_layer_gzip || type == docker_layer_foreign ||
         type == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         type == "application/vnd.oci.image.layer.nondistributable.v1.tar";
}

} // namespace strata::store::media_type

namespace strata::store::annotation {

// The OCI layout's tag annotation, and containerd's (docker's) full image name.
inline constexpr const char* ref_name = "org.opencontainers.image.ref.name";
inline constexpr const char* containerd_name = "io.containerd.image.name";

} // namespace strata::store::annotation
