#include "cli/build_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <fmt/format.h>

#include "builder/copy_files.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "runtime/merged_view.hpp"
#include "store/archive_save.hpp"
#include "store/tree_tar.hpp"

namespace strata::cli {
namespace {

UniqueFd open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", path);
  }
  return fd;
}

// The output file (or stdout for "-"), created 0644.
UniqueFd open_output(const std::string& dest) {
  if (dest.empty() || dest == "-") {
    if (::isatty(STDOUT_FILENO) == 1) {
      throw Error(ErrorKind::usage, "refusing to write an archive to a terminal: give dest=FILE");
    }
    return UniqueFd(::dup(STDOUT_FILENO));
  }
  UniqueFd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    throw_errno("create", dest);
  }
  return fd;
}

// The image's filesystem as one directory fd, for as long as the returned objects live.
struct ImageTree {
  TempDir scratch{"strata-output-"};
  UniqueFd root;
};

void open_image_tree(const GlobalOptions& global, const store::Digest& id, ImageTree& tree) {
  store::ImageStore images = open_store(global);
  const store::ImageDetail detail = images.load(images.resolve(id.str()));
  const std::vector<store::Digest> chains = images.unpack(detail);
  std::vector<std::string> lowers;
  for (auto it = chains.rbegin(); it != chains.rend(); ++it) {
    lowers.push_back(images.snapshots().path_of(*it) + "/fs");
  }
  if (lowers.empty()) {
    tree.root = open_dir(tree.scratch.path());
  } else if (lowers.size() == 1) {
    tree.root = open_dir(lowers.front());
  } else {
    tree.root = runtime::open_merged_view(lowers, tree.scratch.path());
  }
}

} // namespace

std::vector<std::pair<std::string, std::string>> csv_attributes(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::stringstream fields(text);
  for (std::string field; std::getline(fields, field, ',');) {
    const std::size_t eq = field.find('=');
    out.emplace_back(field.substr(0, eq),
                     eq == std::string::npos ? std::string() : field.substr(eq + 1));
  }
  return out;
}

BuildOutput parse_build_output(const std::string& text) {
  BuildOutput out;
  if (text.find('=') == std::string::npos) {
    out.type = text == "-" ? BuildOutput::Type::tar : BuildOutput::Type::local;
    out.dest = text;
    return out;
  }
  std::string type;
  for (const auto& [key, value] : csv_attributes(text)) {
    if (key == "type") {
      type = value;
    } else if (key == "dest") {
      out.dest = value;
    } else {
      throw Error(ErrorKind::usage, fmt::format("--output {}: unsupported attribute \"{}\"", text, key));
    }
  }
  if (type == "local") {
    out.type = BuildOutput::Type::local;
  } else if (type == "tar") {
    out.type = BuildOutput::Type::tar;
  } else if (type == "oci") {
    out.type = BuildOutput::Type::oci;
  } else if (type == "docker") {
    out.type = BuildOutput::Type::docker;
  } else {
    throw Error(ErrorKind::usage,
                fmt::format("--output {}: unsupported type \"{}\" (local, tar, oci, docker)", text, type));
  }
  if (out.type == BuildOutput::Type::local && out.dest.empty()) {
    throw Error(ErrorKind::usage, fmt::format("--output {}: type=local needs dest=DIR", text));
  }
  return out;
}

void export_build_output(const GlobalOptions& global, const BuildOutput& output,
                         const builder::BuildResult& result,
                         const std::vector<store::Reference>& tags) {
  if (output.type == BuildOutput::Type::oci || output.type == BuildOutput::Type::docker) {
    const store::ImageStore images = open_store(global);
    const UniqueFd fd = open_output(output.dest);
    store::save_archive(images, {store::SaveImage{images.resolve(result.image_id.str()), tags}},
                        fd.get(), output.dest);
    return;
  }
  ImageTree tree;
  open_image_tree(global, result.image_id, tree);
  if (output.type == BuildOutput::Type::tar) {
    const UniqueFd fd = open_output(output.dest);
    std::ignore = store::write_tree_tar(tree.root.get(), store::fd_sink(fd.get(), output.dest));
    return;
  }
  if (::mkdir(output.dest.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("create", output.dest);
  }
  const UniqueFd dest = open_dir(output.dest);
  const builder::SourceTree source{tree.root.get(), nullptr, "image"};
  builder::CopyOptions options;
  options.from_context = false;
  builder::copy_sources(source, {builder::SourceMatch{".", true}}, {}, dest.get(), "/", options);
}

} // namespace strata::cli
