#pragma once
// A container's config.json (store/container_store.hpp) from `create`/`run` flags, and back to a
// `runtime::ContainerSpec` at `start`.
//
// config.json is docker's `inspect` document without "State", in docker's key order:
//   Id, Created, Path (argv[0]), Args (argv[1:]), Image ("sha256:..." ID),
//   ResolvConfPath, HostnamePath, HostsPath, LogPath, Name ("/name"), RestartCount, Driver
//   ("overlay2"), Platform ("linux"), MountLabel, ProcessLabel, AppArmorProfile,
//   HostConfig {Binds ["/h:/c[:ro]"], NetworkMode ("host"|"none"), AutoRemove, Privileged,
//     ReadonlyRootfs, CapAdd, CapDrop, SecurityOpt, Memory (bytes, 0 = none), NanoCpus,
//     PidsLimit (null = none), Tmpfs {"/path": "options"}},
//   GraphDriver {Name: "overlay2", Data {LowerDir, UpperDir, WorkDir, MergedDir}},
//   Mounts [{Type: "bind"|"tmpfs", Source, Destination, Mode, RW, Propagation}],
//   Config {Hostname, Domainname, User, AttachStdin, AttachStdout, AttachStderr, Tty,
//     OpenStdin, StdinOnce, Env, Cmd, Image (as typed, e.g. "busybox"), Volumes, WorkingDir,
//     Entrypoint, OnBuild, Labels, StopSignal (when the image or --stop-signal sets one),
//     StopTimeout (when --stop-timeout sets one)},
//   NetworkSettings {Networks {<mode>: {}}},
//   StrataChains [chain IDs, bottom first], StrataSeccomp ("default" | "unconfined" | the JSON
//   text of a `--security-opt seccomp=FILE` profile, read at create as docker does).
// `Config.Env` is final (PATH, HOSTNAME, the image's, then -e/--env-file); `Path`+`Args` are the
// final argv (entrypoint + cmd).

#include "cli/command.hpp"
#include "runtime/container_spec.hpp"
#include "store/container_store.hpp"
#include "store/image_store.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace strata::cli {

// `create`/`run` flags (docker's names).
struct CreateOptions {
  std::string name;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  std::optional<std::string> entrypoint;
  std::vector<std::string> volumes; // -v HOST:CTR[:ro|rw]
  std::vector<std::string> tmpfs;   // --tmpfs /path[:options]
  std::string hostname;
  std::string network = "host";
  bool read_only = false;
  bool interactive = false;
  bool tty = false;
  bool rm = false;
  bool privileged = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string memory;
  std::optional<std::int64_t> pids_limit;
  std::string cpus;
  std::vector<std::string> security_opts;
  std::vector<std::string> labels;
  std::string stop_signal;
  std::optional<int> stop_timeout;
  std::string image;
  std::vector<std::string> command;
};

// Declares the flags above on `app` (shared by `create` and `run`).
void add_create_flags(CLI::App& app, CreateOptions& options);
// CLI11's prefix mode hands an unknown flag before IMAGE to the command; docker refuses it (a
// command whose first word starts with '-' is the price: docker would run it).
void refuse_flag_as_command(const CreateOptions& options, const char* command);

// Resolves the image (unpacking it), builds config.json and creates the container. Holds the
// image store's content lock while doing so, so gc keeps the layers.
[[nodiscard]] store::ContainerRecord create_container(const GlobalOptions& global,
                                                      const CreateOptions& options);

// The spec `start` runs: lower dirs from StrataChains, everything else from config.json.
[[nodiscard]] runtime::ContainerSpec spec_from_config(const store::ContainerRecord& record,
                                                      const std::string& store_root,
                                                      const store::SnapshotStore& snapshots);

// config.json parsed; `Error{corrupt}` when it is not an object.
[[nodiscard]] nlohmann::json parse_config(const store::ContainerRecord& record);

} // namespace strata::cli
