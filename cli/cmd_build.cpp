// `strata build [-t NAME[:TAG]]... [-f FILE|-] [--build-arg K[=V]]... [--target STAGE]
//   [--no-cache] [--no-cache-filter STAGE] [-q] [--iidfile F] [--depfile F] [--explain]
//   [--label K=V] [--progress auto|plain|tty|quiet] [-o OUTPUT] [--secret id=X,src=F|env=V]
//   [--network default|host|none] [--platform linux/amd64] [--pull[=always|missing|never]]
//   [--push] [--cache-to type=registry,ref=R[,mode=min|max]|type=local,dest=DIR]...
//   [--cache-from [type=registry,ref=]R|type=local,src=DIR]... CONTEXT|-`
//
// docker build's flags and BuildKit's output over `builder::build_image`. What is strata's own:
// `--iidfile` is rewritten only when the image ID changes (Make sees no false change), and
// `--depfile` writes a Make rule naming every file the build read (gcc -MD's idea).
// Exit codes: 0; 1 for a failed build (BuildKit's summary: the step, its last output lines, the
// Dockerfile excerpt, `ERROR: failed to solve: ...`); 2 for usage; 130 after Ctrl-C, once every
// running step is killed and its temporary files are removed.

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <pthread.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "builder/build.hpp"
#include "cli/build_output.hpp"
#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"

namespace strata::cli {
namespace {

constexpr int k_exit_interrupted = 130;

struct BuildFlags {
  std::vector<std::string> tags;
  std::string file;
  std::vector<std::string> build_args;
  std::string target;
  bool no_cache = false;
  std::vector<std::string> no_cache_filter;
  bool quiet = false;
  std::string iidfile;
  std::string depfile;
  bool explain = false;
  std::vector<std::string> labels;
  std::string progress = "auto";
  std::vector<std::string> outputs;
  std::vector<std::string> secrets;
  std::string network = "default";
  std::string platform;
  std::string pull = "missing";
  bool push = false;
  std::vector<std::string> cache_to;
  std::vector<std::string> cache_from;
  std::string context;
};

// Blocks SIGINT, SIGTERM and SIGHUP in every thread (TBB's included: they inherit the mask) and
// turns them into `cancelled` from one watcher thread.
class InterruptWatcher {
public:
  InterruptWatcher() {
    ::sigemptyset(&set_);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
      ::sigaddset(&set_, sig);
    }
    ::pthread_sigmask(SIG_BLOCK, &set_, &saved_);
    // An ignored signal is discarded, never queued: a shell starts background jobs with SIGINT
    // ignored, and `kill -INT` must still cancel the build. (SIGHUP keeps nohup's choice.)
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    signals_ = UniqueFd(::signalfd(-1, &set_, SFD_CLOEXEC));
    wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    if (!signals_ || !wake_) {
      throw_errno("signalfd");
    }
    thread_ = std::thread([this] {
      std::array<pollfd, 2> fds{pollfd{signals_.get(), POLLIN, 0}, pollfd{wake_.get(), POLLIN, 0}};
      while (::poll(fds.data(), fds.size(), -1) >= 0 || errno == EINTR) {
        if ((fds[1].revents & POLLIN) != 0) {
          return;
        }
        signalfd_siginfo info{};
        if ((fds[0].revents & POLLIN) != 0 && ::read(signals_.get(), &info, sizeof info) > 0) {
          cancelled_ = true;
        }
      }
    });
  }
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;
  ~InterruptWatcher() {
    const std::uint64_t one = 1;
    std::ignore = ::write(wake_.get(), &one, sizeof one);
    thread_.join();
    ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  [[nodiscard]] const std::atomic<bool>& flag() const noexcept { return cancelled_; }

private:
  sigset_t set_{};
  sigset_t saved_{};
  std::atomic<bool> cancelled_{false};
  UniqueFd signals_;
  UniqueFd wake_;
  std::thread thread_;
};

std::map<std::string, std::string, std::less<>> parse_build_args(const std::vector<std::string>& args) {
  std::map<std::string, std::string, std::less<>> out;
  for (const std::string& arg : args) {
    const std::size_t eq = arg.find('=');
    if (eq == 0) {
      throw Error(ErrorKind::usage, fmt::format("invalid argument \"{}\" for \"--build-arg\" flag", arg));
    }
    if (eq != std::string::npos) {
      out[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (const char* value = std::getenv(arg.c_str())) {
      out[arg] = value; // `--build-arg K`: from the environment, unset if it is not there
    }
  }
  return out;
}

std::map<std::string, std::string> parse_labels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const std::string& label : labels) {
    const std::size_t eq = label.find('=');
    out[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  return out;
}

builder::BuildSecret parse_secret(const std::string& text) {
  builder::BuildSecret secret;
  for (const auto& [key, value] : csv_attributes(text)) {
    if (key == "id") {
      secret.id = value;
    } else if (key == "src" || key == "source") {
      secret.source = value;
    } else if (key == "env") {
      secret.env = value;
    } else if (key != "type") {
      throw Error(ErrorKind::usage, fmt::format("--secret {}: unexpected key \"{}\"", text, key));
    }
  }
  if (secret.id.empty()) {
    secret.id = !secret.env.empty() ? secret.env : secret.source.substr(secret.source.rfind('/') + 1);
  }
  if (secret.source.empty() && secret.env.empty()) {
    secret.env = secret.id; // docker: `--secret id=TOKEN` reads $TOKEN when no src is given
  }
  return secret;
}

builder::ProgressMode progress_mode(const BuildFlags& flags) {
  if (flags.quiet || flags.progress == "quiet") {
    return builder::ProgressMode::quiet;
  }
  if (flags.progress == "plain" || flags.progress == "rawjson") {
    return builder::ProgressMode::plain;
  }
  if (flags.progress == "tty") {
    return builder::ProgressMode::tty;
  }
  if (flags.progress != "auto") {
    throw Error(ErrorKind::usage, fmt::format("invalid progress mode \"{}\": auto, plain, tty or quiet", flags.progress));
  }
  return ::isatty(STDERR_FILENO) == 1 ? builder::ProgressMode::tty : builder::ProgressMode::plain;
}

builder::BuildNetwork network_of(const std::string& name) {
  if (name == "default" || name == "bridge") {
    return builder::BuildNetwork::default_network;
  }
  if (name == "host") {
    return builder::BuildNetwork::host;
  }
  if (name == "none") {
    return builder::BuildNetwork::none;
  }
  throw Error(ErrorKind::usage, fmt::format("--network {}: only default, host and none are supported", name));
}

// docker's `--pull` is a bool ("true" = always); podman's and buildah's take a policy.
builder::PullPolicy pull_policy(const std::string& text) {
  if (text == "always" || text == "true") {
    return builder::PullPolicy::always;
  }
  if (text == "missing" || text == "false") {
    return builder::PullPolicy::missing;
  }
  if (text == "never") {
    return builder::PullPolicy::never;
  }
  throw Error(ErrorKind::usage,
              fmt::format("invalid argument \"{}\" for \"--pull\" flag: want true, false, always, "
                          "missing or never",
                          text));
}

// BuildKit's `--cache-to`/`--cache-from` CSV: type=registry,ref=R[,mode=min|max] or
// type=local,dest=DIR (to) / src=DIR (from); a bare value is a registry reference.
builder::CacheSpec parse_cache_spec(const std::string& text, bool to) {
  const std::string flag = to ? "--cache-to" : "--cache-from";
  builder::CacheSpec spec;
  if (text.find('=') == std::string::npos) {
    spec.location = text;
    return spec;
  }
  std::string type;
  for (const auto& [key, value] : csv_attributes(text)) {
    if (key == "type") {
      type = value;
    } else if (key == "ref" || (key == "dest" && to) || (key == "src" && !to)) {
      spec.location = value;
    } else if (key == "mode" && to && (value == "min" || value == "max")) {
      spec.mode = value == "max" ? builder::CacheSpec::Mode::max : builder::CacheSpec::Mode::min;
    } else if (key == "ignore-error" && (value == "true" || value == "false")) {
      spec.ignore_error = value == "true";
    } else if (key != "compression" && key != "oci-mediatypes" && key != "image-manifest" &&
               key != "tag") {
      throw Error(ErrorKind::usage, fmt::format("{} {}: unsupported attribute \"{}{}{}\"", flag, text, key,
                              value.empty() ? "" : "=", value));
    }
  }
  if (type == "local") {
    spec.type = builder::CacheSpec::Type::local;
  } else if (type != "registry") {
    throw Error(ErrorKind::usage, fmt::format("{} {}: unsupported type \"{}\" (registry, local)", flag, text, type));
  }
  if (spec.location.empty()) {
    throw Error(ErrorKind::usage,
                fmt::format("{} {}: {} is required", flag, text,
                            spec.type == builder::CacheSpec::Type::registry ? "ref"
                            : to                                            ? "dest"
                                                                            : "src"));
  }
  if (spec.type == builder::CacheSpec::Type::registry) {
    const store::Reference ref = parse_reference_argument(spec.location);
    if (to && ref.digest()) {
      throw Error(ErrorKind::usage, fmt::format("{} {}: the ref needs a tag, not a digest", flag, text));
    }
  }
  return spec;
}

std::string read_stdin() {
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

// `--iidfile`: rewritten only when its content changes, so Make sees no false change.
void write_iidfile(const std::string& path, const std::string& id) {
  try {
    if (read_file(path, 4096) == id) {
      return;
    }
  } catch (const Error&) {
  }
  store::write_file_atomically(path, id, 0644);
}

// Make's escaping of a prerequisite: spaces and `#` with a backslash, `$` doubled.
std::string make_escape(const std::string& path) {
  std::string out;
  for (const char c : path) {
    if (c == ' ' || c == '#' || c == '\\') {
      out += '\\';
    } else if (c == '$') {
      out += '$';
    }
    out += c;
  }
  return out;
}

void write_depfile(const BuildFlags& flags, const std::string& dockerfile,
                   const builder::BuildResult& result) {
  std::string target = !flags.iidfile.empty() ? flags.iidfile
                       : !flags.tags.empty()  ? flags.tags.front()
                                              : result.image_id.str();
  std::string rule = make_escape(target) + ":";
  const auto add = [&rule](const std::string& path) { rule += " \\\n  " + make_escape(path); };
  if (dockerfile != "-") {
    add(dockerfile);
  }
  const std::string base = flags.context == "." ? "" : flags.context + "/";
  if (::access((flags.context + "/.dockerignore").c_str(), F_OK) == 0) {
    add(base + ".dockerignore");
  }
  for (const std::string& path : result.context_reads) {
    add(base + path);
  }
  rule += "\n";
  store::write_file_atomically(flags.depfile, rule, 0644);
}

// BuildKit's failure summary.
void print_failure(const builder::StepError& e, const std::string& dockerfile_text) {
  std::string out = "------\n > " + e.step() + ":\n";
  for (const std::string& line : e.tail()) {
    out += line + "\n";
  }
  out += "------\n";
  if (e.where() && e.where()->line > 0) {
    const std::uint32_t first = e.where()->line;
    const std::uint32_t last = std::max(e.where()->end_line, first);
    out += fmt::format("{}:{}\n--------------------\n", e.where()->file, first);
    std::vector<std::string> lines;
    std::stringstream text(dockerfile_text);
    for (std::string line; std::getline(text, line);) {
      lines.push_back(line);
    }
    const std::uint32_t from = first > 3 ? first - 3 : 1;
    const std::uint32_t to = std::min<std::uint32_t>(last + 2, static_cast<std::uint32_t>(lines.size()));
    for (std::uint32_t n = from; n <= to; ++n) {
      const bool here = n >= first && n <= last;
      out += fmt::format(" {:>3} | {}{}\n", n, here ? ">>> " : "    ", lines[n - 1]);
    }
    out += "--------------------\n";
  }
  out += fmt::format("ERROR: failed to solve: {}\n", e.message());
  std::fputs(out.c_str(), stderr);
}

int run_build(const GlobalOptions& global, const BuildFlags& flags) {
  if (flags.push && flags.tags.empty()) {
    fmt::print(stderr, "ERROR: tag is needed when pushing to registry\n"); // buildx's words
    return k_exit_failure;
  }
  InterruptWatcher interrupts;
  builder::BuildOptions options;
  options.store_root = global.root;
  std::optional<TempDir> empty_context;
  if (flags.context == "-") {
    if (flags.file == "-") {
      throw Error(ErrorKind::usage, "the Dockerfile and the context cannot both come from stdin");
    }
    empty_context.emplace("strata-context-");
    options.context_dir = empty_context->path();
  } else {
    options.context_dir = flags.context;
  }
  if (flags.context == "-" || flags.file == "-") {
    options.dockerfile_path = "-";
    options.dockerfile_text = read_stdin();
  } else {
    options.dockerfile_path = flags.file.empty() ? flags.context + "/Dockerfile" : flags.file;
    options.dockerfile_text = read_file(options.dockerfile_path, 16 * 1024 * 1024);
  }
  options.build_args = parse_build_args(flags.build_args);
  options.target = flags.target;
  options.no_cache = flags.no_cache;
  options.no_cache_filter = flags.no_cache_filter;
  options.labels = parse_labels(flags.labels);
  options.network = network_of(flags.network);
  if (!flags.platform.empty() && flags.platform != "linux/amd64") {
    throw Error(ErrorKind::unsupported, fmt::format("--platform {}: only linux/amd64 (this machine's) is supported", flags.platform));
  }
  for (const std::string& s : flags.secrets) {
    options.secrets.push_back(parse_secret(s));
  }
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    options.source_date_epoch = std::stoll(epoch);
  }
  for (const std::string& tag : flags.tags) {
    options.tags.push_back(parse_reference_argument(tag).with_default_tag());
  }
  std::vector<BuildOutput> outputs;
  for (const std::string& o : flags.outputs) {
    outputs.push_back(parse_build_output(o));
  }
  options.pull = pull_policy(flags.pull);
  options.push = flags.push;
  for (const std::string& c : flags.cache_to) {
    options.cache_to.push_back(parse_cache_spec(c, true));
  }
  for (const std::string& c : flags.cache_from) {
    options.cache_from.push_back(parse_cache_spec(c, false));
  }
  options.cancel = &interrupts.flag();
  builder::Progress progress(progress_mode(flags), stderr, flags.explain || flags.progress == "plain");
  try {
    const builder::BuildResult result = builder::build_image(options, progress);
    for (const BuildOutput& output : outputs) {
      export_build_output(global, output, result, options.tags);
    }
    if (!flags.iidfile.empty()) {
      write_iidfile(flags.iidfile, result.image_id.str());
    }
    if (!flags.depfile.empty()) {
      write_depfile(flags, options.dockerfile_path, result);
    }
    if (progress.mode() == builder::ProgressMode::quiet) {
      fmt::print("{}\n", result.image_id.str());
    }
    return k_exit_ok;
  } catch (const builder::StepError& e) {
    if (e.kind() == ErrorKind::cancelled || interrupts.flag()) {
      fmt::print(stderr, "ERROR: build cancelled\n");
      return k_exit_interrupted;
    }
    print_failure(e, options.dockerfile_text);
    return k_exit_failure;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::cancelled || interrupts.flag()) {
      fmt::print(stderr, "ERROR: build cancelled\n");
      return k_exit_interrupted;
    }
    throw;
  }
}

} // namespace

Action setup_build(CLI::App& app, const GlobalOptions& global) {
  auto f = std::make_shared<BuildFlags>();
  app.add_option("-t,--tag", f->tags, "Name and optionally a tag (format: \"name:tag\")");
  app.add_option("-f,--file", f->file, "Name of the Dockerfile (default: \"PATH/Dockerfile\")");
  app.add_option("--build-arg", f->build_args, "Set build-time variables");
  app.add_option("--target", f->target, "Set the target build stage to build");
  app.add_flag("--no-cache", f->no_cache, "Do not use cache when building the image");
  app.add_option("--no-cache-filter", f->no_cache_filter, "Do not cache specified stages");
  app.add_flag("-q,--quiet", f->quiet, "Suppress the build output and print image ID on success");
  app.add_option("--iidfile", f->iidfile, "Write the image ID to a file (only when it changes)");
  app.add_option("--depfile", f->depfile, "Write a Make rule listing every file the build read");
  app.add_flag("--explain", f->explain, "Say why each step missed the cache");
  app.add_option("--label", f->labels, "Set metadata for an image");
  app.add_option("--progress", f->progress, "Set type of progress output (auto, plain, tty, quiet)");
  app.add_option("-o,--output", f->outputs, "Output destination (format: \"type=local,dest=path\")");
  app.add_option("--secret", f->secrets, "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")");
  app.add_option("--network", f->network, "Set the networking mode for the RUN instructions");
  app.add_option("--platform", f->platform, "Set target platform for build");
  app.add_flag("--pull{always}", f->pull,
               "Always attempt to pull a newer version of the image (--pull=always|missing|never)");
  app.add_flag("--push", f->push, "Push the tagged image to its registry after the build");
  app.add_option("--cache-to", f->cache_to,
                 "Cache export destinations (e.g. \"type=registry,ref=R,mode=max\", \"type=local,dest=DIR\")");
  app.add_option("--cache-from", f->cache_from,
                 "External cache sources (e.g. \"type=registry,ref=R\", \"type=local,src=DIR\")");
  app.add_option("context", f->context, "PATH | -")->required();
  return [&global, f] { return run_build(global, *f); };
}

} // namespace strata::cli
