// Fuzzes the image document parsers (`Manifest`, `ImageConfig`, `Index`): every input either parses
// or throws `strata::Error`; a parsed manifest or index re-serialises to a document that parses to
// the same values. These parsers read what `load` and `pull` receive from strangers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.hpp"
#include "store/image.hpp"

using namespace strata::store;

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void manifest(std::string_view text) {
  try {
    const Manifest m = Manifest::parse(text, "fuzz");
    const Manifest again = Manifest::parse(m.serialize(), "again");
    check(again.config.digest == m.config.digest && again.layers.size() == m.layers.size());
  } catch (const strata::Error&) {
  }
}

void config(std::string_view text) {
  try {
    const ImageConfig c = ImageConfig::parse(text, "fuzz");
    check(chain_ids(c.diff_ids).size() == c.diff_ids.size());
    std::ignore = parse_rfc3339(c.created);
  } catch (const strata::Error&) {
  }
}

void index(std::string_view text) {
  try {
    const Index i = Index::parse(text, "fuzz");
    check(Index::parse(i.serialize(), "again").manifests.size() == i.manifests.size());
  } catch (const strata::Error&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  manifest(text);
  config(text);
  index(text);
  return 0;
}
