#include "builder/cache_key.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace strata::builder {
namespace {

constexpr std::uint64_t k_u64_size = 8;

// Size on the wire of a size-prefixed byte string.
std::uint64_t sized(std::string_view bytes) { return k_u64_size + bytes.size(); }

} // namespace

CacheKeyBuilder::CacheKeyBuilder() { hasher_.update(k_version_tag); }

CacheKeyBuilder& CacheKeyBuilder::add(std::string_view name, std::string_view value) {
  begin_field(FieldType::string, name, value.size());
  hasher_.update(value);
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::add(std::string_view name, const store::Digest& digest) {
  const std::string text = digest.str();
  begin_field(FieldType::digest, name, text.size());
  hasher_.update(text);
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::add_list(std::string_view name,
                                           const std::vector<std::string>& items) {
  std::uint64_t value_size = k_u64_size;
  for (const auto& item : items) {
    value_size += sized(item);
  }
  begin_field(FieldType::list, name, value_size);
  put_u64(items.size());
  for (const auto& item : items) {
    put_sized(item);
  }
  return *this;
}

CacheKeyBuilder& CacheKeyBuilder::add_map(std::string_view name,
                                          const std::map<std::string, std::string>& entries) {
  std::vector<const Entry*> sorted; // std::map already iterates in ascending key order
  sorted.reserve(entries.size());
  for (const auto& entry : entries) {
    sorted.push_back(&entry);
  }
  put_sorted_map(name, sorted);
  return *this;
}

CacheKeyBuilder&
CacheKeyBuilder::add_map(std::string_view name,
                         const std::unordered_map<std::string, std::string>& entries) {
  std::vector<const Entry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& entry : entries) {
    sorted.push_back(&entry);
  }
  // std::string compares bytes as unsigned char, so the order is the same on every platform.
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry* a, const Entry* b) { return a->first < b->first; });
  put_sorted_map(name, sorted);
  return *this;
}

store::Digest CacheKeyBuilder::finish() { return hasher_.finish(); }

void CacheKeyBuilder::begin_field(FieldType type, std::string_view name, std::uint64_t value_size) {
  const std::array tag{static_cast<std::byte>(type)};
  hasher_.update(tag);
  put_sized(name);
  put_u64(value_size);
}

void CacheKeyBuilder::put_u64(std::uint64_t value) {
  std::array<std::byte, k_u64_size> bytes{};
  for (auto& byte : bytes) { // little-endian, whatever the host's byte order
    byte = static_cast<std::byte>(value & 0xffU);
    value >>= 8U;
  }
  hasher_.update(bytes);
}

void CacheKeyBuilder::put_sized(std::string_view bytes) {
  put_u64(bytes.size());
  hasher_.update(bytes);
}

void CacheKeyBuilder::put_sorted_map(std::string_view name,
                                     const std::vector<const Entry*>& sorted) {
  std::uint64_t value_size = k_u64_size;
  for (const Entry* entry : sorted) {
    value_size += sized(entry->first) + sized(entry->second);
  }
  begin_field(FieldType::map, name, value_size);
  put_u64(sorted.size());
  for (const Entry* entry : sorted) {
    put_sized(entry->first);
    put_sized(entry->second);
  }
}

} // namespace strata::builder
