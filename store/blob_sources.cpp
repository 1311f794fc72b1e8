// `blob_sources`, `remember_blob_source` (blob_sources.hpp).

#include "store/blob_sources.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <exception>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "store/atomic_file.hpp"
#include "store/reference.hpp"

namespace strata::store {
namespace {

constexpr std::size_t k_max_record = 4096;

std::string record_path(const std::string& root, const Digest& blob) {
  return root + "/cache/sources/" + blob.hex();
}

bool valid_repository(const std::string& line) {
  const auto ref = Reference::try_parse(line);
  return ref && ref->name() == line && !ref->tag() && !ref->digest();
}

} // namespace

std::vector<std::string> blob_sources(const std::string& root, const Digest& blob) {
  std::vector<std::string> out;
  std::string text;
  try {
    text = read_file(record_path(root, blob), k_max_record);
  } catch (const std::exception&) {
    return out; // no record
  }
  std::size_t start = 0;
  while (start < text.size() && out.size() < k_max_sources) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    std::string line = text.substr(start, end - start);
    if (valid_repository(line) && std::find(out.begin(), out.end(), line) == out.end()) {
      out.push_back(std::move(line));
    }
    start = end + 1;
  }
  return out;
}

void remember_blob_source(const std::string& root, const Digest& blob,
                          const std::string& repository) {
  std::vector<std::string> sources = blob_sources(root, blob);
  if (!sources.empty() && sources.front() == repository) {
    return;
  }
  sources.erase(std::remove(sources.begin(), sources.end(), repository), sources.end());
  sources.insert(sources.begin(), repository);
  sources.resize(std::min(sources.size(), k_max_sources));
  std::string text;
  for (const auto& s : sources) {
    text += s + "\n";
  }
  try {
    ::mkdir((root + "/cache").c_str(), 0700);
    ::mkdir((root + "/cache/sources").c_str(), 0755);
    write_file_atomically(record_path(root, blob), text, 0644);
  } catch (const std::exception& e) {
    log::debug("cannot record where blob {} came from: {}", blob.str(), e.what());
  }
}

} // namespace strata::store
