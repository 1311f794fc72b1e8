// Container names (container_names.hpp).

#include "store/container_names.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>

namespace strata::store {
namespace {

// A selection from docker's names-generator.
constexpr std::array k_adjectives = {
    "admiring", "affectionate", "agitated",  "amazing",  "angry",    "awesome",  "beautiful",
    "blissful", "bold",         "boring",    "brave",    "busy",     "charming", "clever",
    "compassionate", "competent", "condescending", "confident", "cool", "cranky", "crazy",
    "dazzling", "determined",   "distracted", "dreamy",  "eager",    "ecstatic", "elastic",
    "elated",   "elegant",      "eloquent",  "epic",     "exciting", "fervent",  "festive",
    "flamboyant", "focused",    "friendly",  "frosty",   "funny",    "gallant",  "gifted",
    "goofy",    "gracious",     "great",     "happy",    "hardcore", "heuristic", "hopeful",
    "hungry",   "infallible",   "inspiring", "intelligent", "interesting", "jolly", "jovial",
    "keen",     "kind",         "laughing",  "loving",   "lucid",    "magical",  "modest",
    "musing",   "mystifying",   "naughty",   "nervous",  "nice",     "nifty",    "nostalgic",
    "objective", "optimistic",  "peaceful",  "pedantic", "pensive",  "practical", "priceless",
    "quirky",   "quizzical",    "recursing", "relaxed",  "reverent", "romantic", "sad",
    "serene",   "sharp",        "silly",     "sleepy",   "stoic",    "strange",  "stupefied",
    "suspicious", "sweet",      "tender",    "thirsty",  "trusting", "unruffled", "upbeat",
    "vibrant",  "vigilant",     "vigorous",  "wizardly", "wonderful", "xenodochial", "youthful",
    "zealous",  "zen"};
constexpr std::array k_surnames = {
    "agnesi",   "albattani", "allen",     "almeida",  "archimedes", "ardinghelli", "aryabhata",
    "austin",   "babbage",   "banach",    "bardeen",  "bartik",   "bassi",     "bell",
    "benz",     "bhabha",    "bhaskara",  "blackwell", "bohr",    "booth",     "borg",
    "bose",     "boyd",      "brahmagupta", "brattain", "brown",  "carson",    "cerf",
    "chandrasekhar", "chatelet", "chaum",  "clarke",   "colden",   "cori",      "cray",
    "curie",    "darwin",    "davinci",   "dijkstra", "dubinsky", "easley",    "edison",
    "einstein", "elion",     "engelbart", "euclid",   "euler",    "faraday",   "fermat",
    "fermi",    "feynman",   "franklin",  "galileo",  "gates",    "goldberg",  "goldstine",
    "goodall",  "hamilton",  "hawking",   "heisenberg", "hermann", "hodgkin",  "hofstadter",
    "hopper",   "hypatia",   "jackson",   "jang",     "jennings", "johnson",   "kalam",
    "keller",   "kepler",    "khorana",   "kilby",    "knuth",    "kowalevski", "lalande",
    "lamarr",   "lamport",   "leakey",    "leavitt",  "lovelace", "lumiere",   "mahavira",
    "margulis", "mayer",     "mccarthy",  "mcclintock", "meitner", "mendel",   "minsky",
    "mirzakhani", "montalcini", "moore",  "morse",    "napier",   "nash",      "newton",
    "nobel",    "noether",   "panini",    "pare",     "pascal",   "pasteur",   "perlman",
    "pike",     "poincare",  "ptolemy",   "raman",    "ramanujan", "ritchie",  "roentgen",
    "rosalind", "saha",      "sammet",    "shannon",  "shaw",     "shockley",  "sinoussi",
    "snyder",   "stonebraker", "swanson", "swartz",   "tesla",    "thompson",  "torvalds",
    "turing",   "varahamihira", "visvesvaraya", "volhard", "wescoff", "wiles",  "williams",
    "wilson",   "wing",      "wozniak",   "wright",   "wu",       "yalow",     "yonath"};

std::uint32_t random_u32() {
  std::uint32_t value = 0;
  if (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value)) {
    throw_errno("getrandom");
  }
  return value;
}

std::string generated_name(int attempt) {
  std::string name = fmt::format("{}_{}", k_adjectives[random_u32() % k_adjectives.size()],
                                 k_surnames[random_u32() % k_surnames.size()]);
  if (name == "boring_wozniak") { // "Steve Wozniak is not boring", as docker
    return generated_name(attempt);
  }
  if (attempt > 0) {
    name += std::to_string(random_u32() % 10);
  }
  return name;
}

std::string read_target(const std::string& link) {
  char buffer[256];
  const ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

bool container_exists(const std::string& names_dir, const std::string& id) {
  const std::string containers = names_dir.substr(0, names_dir.rfind('/'));
  // `.new-<id>` first: it is renamed to `<id>` when published, so looking in the other order
  // could miss both.
  struct stat st {};
  return ::lstat((containers + "/.new-" + id).c_str(), &st) == 0 ||
         ::lstat((containers + "/" + id).c_str(), &st) == 0;
}

// Creates the link; on EEXIST replaces a stale one once. Returns false when the name is taken.
bool try_claim(const std::string& names_dir, const std::string& name, const std::string& id,
               std::string& holder) {
  const std::string link = names_dir + "/" + name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::symlink(id.c_str(), link.c_str()) == 0) {
      return true;
    }
    if (errno != EEXIST) {
      throw_errno("symlink", link);
    }
    holder = read_target(link);
    if (!holder.empty() && container_exists(names_dir, holder)) {
      return false;
    }
    // Stale: replace it atomically through a temporary link, so two claimers cannot both win.
    const std::string temp = names_dir + "/.claim-" + id;
    ::unlink(temp.c_str());
    if (::symlink(id.c_str(), temp.c_str()) != 0) {
      throw_errno("symlink", temp);
    }
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE) == 0) {
      const std::string previous = read_target(temp);
      ::unlink(temp.c_str());
      if (previous == holder || previous.empty() || !container_exists(names_dir, previous)) {
        return true;
      }
      // Someone claimed it between our look and the exchange: give it back.
      ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE);
      ::unlink(temp.c_str()); // our own link, back from the exchange
      holder = previous;
      return false;
    }
    ::unlink(temp.c_str());
  }
  return false;
}

} // namespace

bool valid_container_name(std::string_view name) noexcept {
  if (name.size() < 2 || name.size() > 128) {
    return false;
  }
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) {
    return false;
  }
  for (const char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string claim_name(const std::string& names_dir, const std::string& name,
                       const std::string& id) {
  std::string holder;
  if (!name.empty()) {
    if (try_claim(names_dir, name, id, holder)) {
      return name;
    }
    throw Error(ErrorKind::conflict,
                fmt::format("Conflict. The container name \"/{}\" is already in use by container "
                            "\"{}\". You have to remove (or rename) that container to be able to "
                            "reuse that name.",
                            name, holder));
  }
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string candidate = generated_name(attempt);
    if (try_claim(names_dir, candidate, id, holder)) {
      return candidate;
    }
  }
  throw Error(ErrorKind::conflict, "could not generate a unique container name");
}

} // namespace strata::store
