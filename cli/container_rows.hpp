#pragma once
// The facts about containers that `ps`, `inspect` and `logs` show, worded as docker words them:
// the STATUS text ("Up 3 seconds", "Exited (0) 2 minutes ago"), the quoted and cut COMMAND, the
// IMAGE as typed, and one `ps` row per container with the fields `docker ps --format` knows.
//
// A `ContainerView` is one container read once: its record, the parts of config.json a listing
// shows (taken in one SAX pass, no document built: `ps` reads every container's config), and its
// `effective()` state (a container whose monitor died reads as exited, never as running).
// Everything here is a pure function of its arguments and the clock.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/container_store.hpp"

namespace strata::cli {

// What `ps` shows of config.json.
struct ListedConfig {
  std::string path;                                        // Path
  std::vector<std::string> args;                           // Args
  std::string image;                                       // Config.Image, as the user typed it
  std::vector<std::pair<std::string, std::string>> labels; // Config.Labels, sorted by key
  struct Mount {
    std::string name, source, driver;
  };
  std::vector<Mount> mounts;         // Mounts
  std::vector<std::string> networks; // the keys of NetworkSettings.Networks
};

// Extracts `ListedConfig` from config.json's text; `Error{corrupt}` (naming `label`) when it is
// not a JSON object.
[[nodiscard]] ListedConfig listed_config(const std::string& text, const std::string& label);

struct ContainerView {
  store::ContainerRecord record;
  store::ContainerState state; // `record.state.effective()`
  ListedConfig config;
};

// Reads `record`'s config.json once and interprets its state.
[[nodiscard]] ContainerView view_of(store::ContainerRecord record);

// Nanoseconds since the epoch of an RFC 3339 time; 0 for docker's zero time or an unparsable one.
[[nodiscard]] std::int64_t rfc3339_nanos(const std::string& text);
// Now, in nanoseconds since the epoch.
[[nodiscard]] std::int64_t now_nanos();

// docker's `State.String()`: "Created", "Up 3 seconds", "Up 3 seconds (Paused)", "Exited (0) 2
// minutes ago", "Dead" (durations are go-units' HumanDuration up to `now`).
[[nodiscard]] std::string status_text(const store::ContainerState& state, std::int64_t now);

// The command the daemon lists: Path, then each argument (in single quotes when it holds a
// space), space-separated.
[[nodiscard]] std::string command_line(const ListedConfig& config);

// Go's `strconv.Quote`: double quotes, `\"`, `\\`, Go's escapes for control bytes.
[[nodiscard]] std::string go_quote(const std::string& text);
// docker's `formatter.Ellipsis`: at most `width` characters (UTF-8 code points), the last one
// replaced by "…" when cut.
[[nodiscard]] std::string ellipsis(const std::string& text, std::size_t width);

// docker's directory size: regular files, symlinks and the rest by their own size, a hard link
// counted once, directories not at all; unreadable parts skipped.
[[nodiscard]] std::int64_t tree_size(const std::string& root);

// What `ps` computes only when asked (`-s`, or a template naming `.Size`).
struct SizeInfo {
  std::int64_t rw = 0;     // the container's writable layer (its upper dir)
  std::int64_t rootfs = 0; // rw plus the image's layers
};

struct RowOptions {
  bool no_trunc = false;
  std::int64_t now = 0; // `now_nanos()`
};

// One `docker ps` row: ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size,
// Names, Labels, Mounts, Networks, LocalVolumes. `size` is null when not computed ("0B", as
// docker shows it then).
[[nodiscard]] nlohmann::json ps_row(const ContainerView& view, const RowOptions& options,
                                    const SizeInfo* size);

// docker's "State" object of `inspect`: Status, Running, Paused, Restarting, OOMKilled, Dead, Pid,
// ExitCode, Error, StartedAt, FinishedAt.
[[nodiscard]] nlohmann::ordered_json state_json(const store::ContainerState& state);

} // namespace strata::cli
