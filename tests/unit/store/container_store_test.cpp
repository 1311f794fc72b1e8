// ContainerStore: creation (names claimed atomically, generated names, conflicts that leave
// nothing behind), loading and listing, docker's resolution by ID / name / prefix, state updates
// and `effective()` for a dead monitor, removal, the chains gc must keep, and the stale-file sweep.
#include "store/container_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "store/container_names.hpp"
#include "store/file_lock.hpp"
#include "unit/store/store_test_support.hpp"

namespace strata::store {
namespace {

using test_support::entries;

Digest digest_of(char fill) {
  return Digest::parse("sha256:" + std::string(64, fill));
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The error `body` throws; fails the test when it throws none.
template <typename F> Error error_of(F&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::internal, "none");
}

class ContainerStoreTest : public ::testing::Test {
protected:
  ContainerRecord make(const std::string& name = "",
                       const std::string& image = "sha256:" + std::string(64, 'a'),
                       std::vector<Digest> chains = {digest_of('1')}) {
    return store_.create(
        {name, image, std::move(chains), [](const std::string&, const std::string&) {
           return std::string(R"({"Path":"sh","Args":["-c","x"]})");
         }});
  }

  // The IDs and names in containers/ (the on-disk state a failed create must not change).
  std::string snapshot() const {
    std::string out;
    for (const auto& e : entries(store_.dir())) {
      out += e + "\n";
    }
    for (const auto& e : entries(store_.dir() + "/names")) {
      out += "names/" + e + "\n";
    }
    return out;
  }

  TempDir dir_{"container-store-test-"};
  ContainerStore store_{dir_.path()};
};

TEST_F(ContainerStoreTest, MakeConfigSeesTheFinalIdAndDirectory) {
  std::string seen_id;
  std::string seen_dir;
  const ContainerRecord record =
      store_.create({"web",
                     "sha256:" + std::string(64, 'a'),
                     {},
                     [&](const std::string& id, const std::string& dir) {
                       seen_id = id;
                       seen_dir = dir;
                       return std::string(R"({"HostsPath":")") + dir + "/hosts\"}";
                     }});
  EXPECT_EQ(seen_id, record.id);
  EXPECT_EQ(seen_dir, record.dir);
  EXPECT_EQ(nlohmann::json::parse(record.config)["HostsPath"], record.dir + "/hosts");
}

TEST_F(ContainerStoreTest, BadConfigCreatesNothing) {
  const std::string before = snapshot();
  const Error e = error_of([&] {
    std::ignore = store_.create(
        {"web", "sha256:" + std::string(64, 'a'), {}, [](const std::string&, const std::string&) {
           return "[1]";
         }});
  });
  EXPECT_EQ(e.kind(), ErrorKind::internal);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(make("web").name, "web"); // the name was released
}

TEST_F(ContainerStoreTest, CreateWritesConfigStateAndDirectories) {
  const ContainerRecord record = make("web");
  EXPECT_EQ(record.id.size(), 64U);
  EXPECT_EQ(record.name, "web");
  EXPECT_EQ(record.dir, store_.dir() + "/" + record.id);
  for (const char* sub : {"/upper", "/work", "/rootfs", "/config.json", "/state.json"}) {
    EXPECT_TRUE(exists(record.dir + sub)) << sub;
  }
  const auto config = nlohmann::ordered_json::parse(read_file(record.dir + "/config.json"));
  EXPECT_EQ(config["Path"], "sh"); // the caller's keys come first, in their order
  EXPECT_EQ(config.begin().key(), "Path");
  EXPECT_EQ(config["Id"], record.id);
  EXPECT_EQ(config["Name"], "/web");
  EXPECT_EQ(config["Image"], "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(config["Created"], record.created);
  EXPECT_EQ(config["LogPath"], record.log_path());
  EXPECT_EQ(config["StrataChains"], nlohmann::json::array({digest_of('1').str()}));
  EXPECT_EQ(record.state.status, ContainerStatus::created);
  EXPECT_EQ(record.state.started_at, k_zero_time);
  EXPECT_EQ(record.log_path(), record.dir + "/" + record.id + "-json.log");
  EXPECT_EQ(entries(store_.dir()), (std::vector<std::string>{record.id, "names"}));
}

TEST_F(ContainerStoreTest, LoadReadsWhatCreateWrote) {
  const ContainerRecord made = make("web");
  const ContainerRecord loaded = store_.load(made.id);
  EXPECT_EQ(loaded.id, made.id);
  EXPECT_EQ(loaded.name, "web");
  EXPECT_EQ(loaded.created, made.created);
  EXPECT_EQ(loaded.image_id, made.image_id);
  EXPECT_EQ(loaded.chains, made.chains);
  EXPECT_EQ(nlohmann::json::parse(loaded.config), nlohmann::json::parse(made.config));
  EXPECT_EQ(loaded.state.status, ContainerStatus::created);
  EXPECT_EQ(loaded.state.finished_at, k_zero_time);
}

TEST_F(ContainerStoreTest, LoadMissingOrMalformedIdIsNotFound) {
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(std::string(64, 'b')); }).kind(),
            ErrorKind::not_found);
  const Error bad = error_of([&] { std::ignore = store_.load("../../etc"); });
  EXPECT_EQ(bad.kind(), ErrorKind::not_found);
  EXPECT_EQ(bad.message(), "No such container: ../../etc");
}

TEST_F(ContainerStoreTest, LoadCorruptConfigIsCorrupt) {
  const ContainerRecord made = make("web");
  std::ofstream(made.dir + "/config.json") << "{not json";
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(made.id); }).kind(), ErrorKind::corrupt);
}

// `load` reads only the top-level Name, Created, Image and StrataChains: members of the same
// names deeper in the document (Config.Image is the image as typed) do not count.
TEST_F(ContainerStoreTest, LoadTakesTopLevelFieldsOnly) {
  const ContainerRecord record = store_.create(
      {"web",
       "sha256:" + std::string(64, 'a'),
       {digest_of('1'), digest_of('2')},
       [](const std::string&, const std::string&) {
         return std::string(R"({"Config":{"Image":"busybox","Name":"x","StrataChains":[1]},)"
                            R"("Mounts":[{"Name":"v"}],"Labels":{"Created":"y"}})");
       }});
  const ContainerRecord loaded = store_.load(record.id);
  EXPECT_EQ(loaded.name, "web");
  EXPECT_EQ(loaded.image_id, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(loaded.created, record.created);
  EXPECT_EQ(loaded.chains, (std::vector<Digest>{digest_of('1'), digest_of('2')}));
}

TEST_F(ContainerStoreTest, LoadRefusesMalformedChainsAndNonObjects) {
  const ContainerRecord made = make("web");
  auto config = nlohmann::ordered_json::parse(made.config);
  config["StrataChains"] = nlohmann::json::array({digest_of('1').str(), 7});
  std::ofstream(made.dir + "/config.json") << config.dump();
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(made.id); }).kind(), ErrorKind::corrupt);
  config["StrataChains"] = nlohmann::json::array({"sha256:nothex"});
  std::ofstream(made.dir + "/config.json") << config.dump();
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(made.id); }).kind(), ErrorKind::corrupt);
  std::ofstream(made.dir + "/config.json") << "[1, 2]";
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(made.id); }).kind(), ErrorKind::corrupt);
  std::ofstream(made.dir + "/config.json") << "{} trailing";
  EXPECT_EQ(error_of([&] { std::ignore = store_.load(made.id); }).kind(), ErrorKind::corrupt);
}

TEST_F(ContainerStoreTest, ListIsNewestFirstAndSkipsNonContainers) {
  const ContainerRecord a = make("first");
  const ContainerRecord b = make("second");
  const ContainerRecord c = make("third");
  ::mkdir((store_.dir() + "/.new-" + std::string(64, 'c')).c_str(), 0700);
  ::mkdir((store_.dir() + "/not-a-container").c_str(), 0700);
  const auto records = store_.list();
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[0].id, c.id);
  EXPECT_EQ(records[1].id, b.id);
  EXPECT_EQ(records[2].id, a.id);
}

// RFC 3339 times drop trailing zeros of the fraction (Go's RFC3339Nano), so ordering them as
// text is wrong: "05Z" > "05.5Z" and "05.5Z" < "05.52Z" but .12 < .5.
TEST_F(ContainerStoreTest, ListOrdersByTimeNotText) {
  const std::map<std::string, std::string> created = {{"whole", "2024-01-02T03:04:05Z"},
                                                      {"half", "2024-01-02T03:04:05.5Z"},
                                                      {"tenth", "2024-01-02T03:04:05.12Z"},
                                                      {"later", "2024-01-02T03:04:06.01Z"}};
  for (const auto& [name, time] : created) {
    const ContainerRecord record = make(name);
    for (const char* file : {"/config.json", "/summary.json"}) { // list() reads the summary
      auto config = nlohmann::ordered_json::parse(read_file(record.dir + file));
      config["Created"] = time;
      std::ofstream(record.dir + file) << config.dump();
    }
  }
  std::vector<std::string> order;
  for (const auto& record : store_.list()) {
    order.push_back(record.name);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"later", "half", "tenth", "whole"}));
}

TEST_F(ContainerStoreTest, ResolveByIdNameAndPrefix) {
  const ContainerRecord web = make("web");
  make("db");
  EXPECT_EQ(store_.resolve(web.id).id, web.id);
  EXPECT_EQ(store_.resolve("web").id, web.id);
  EXPECT_EQ(store_.resolve("/web").id, web.id);
  EXPECT_EQ(store_.resolve(web.id.substr(0, 12)).id, web.id);
  EXPECT_EQ(store_.resolve(web.short_id()).name, "web");
}

TEST_F(ContainerStoreTest, NameWinsOverAnotherContainersIdPrefix) {
  const ContainerRecord first = make("first");
  const ContainerRecord named = make(first.id.substr(0, 4));
  EXPECT_EQ(store_.resolve(first.id.substr(0, 4)).id, named.id);
  EXPECT_EQ(store_.resolve(first.id.substr(0, 5)).id, first.id);
}

TEST_F(ContainerStoreTest, AmbiguousPrefixIsUsageError) {
  // 17 IDs over 16 first digits: two share one (pigeonhole).
  std::map<char, int> by_first;
  for (int i = 0; i < 17; ++i) {
    ++by_first[make().id[0]];
  }
  const auto shared = std::find_if(by_first.begin(), by_first.end(),
                                   [](const auto& entry) { return entry.second > 1; });
  ASSERT_NE(shared, by_first.end());
  const std::string prefix(1, shared->first);
  const Error e = error_of([&] { std::ignore = store_.resolve(prefix); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_EQ(e.message(), "multiple containers found with provided prefix: " + prefix);
}

TEST_F(ContainerStoreTest, MissingIsNotFoundWithDockersMessage) {
  make("web");
  for (const std::string text : {"nosuch", "/nosuch", "", "fff0000", "../web"}) {
    const Error e = error_of([&] { std::ignore = store_.resolve(text); });
    EXPECT_EQ(e.kind(), ErrorKind::not_found) << text;
    EXPECT_EQ(e.message(), "No such container: " + text);
    EXPECT_FALSE(store_.try_resolve(text).has_value()) << text;
  }
}

TEST_F(ContainerStoreTest, GeneratedNamesAreValidAndUnique) {
  std::set<std::string> names;
  for (int i = 0; i < 60; ++i) {
    const ContainerRecord record = make();
    EXPECT_TRUE(valid_container_name(record.name)) << record.name;
    EXPECT_NE(record.name.find('_'), std::string::npos) << record.name;
    EXPECT_NE(record.name, "boring_wozniak");
    EXPECT_EQ(store_.resolve(record.name).id, record.id);
    names.insert(record.name);
  }
  EXPECT_EQ(names.size(), 60U);
}

TEST_F(ContainerStoreTest, TakenNameIsConflictAndCreatesNothing) {
  const ContainerRecord web = make("web");
  const std::string before = snapshot();
  const Error e = error_of([&] { std::ignore = make("web"); });
  EXPECT_EQ(e.kind(), ErrorKind::conflict);
  EXPECT_EQ(e.message(),
            fmt::format("Conflict. The container name \"/web\" is already in use by container "
                        "\"{}\". You have to remove (or rename) that container to be able to "
                        "reuse that name.",
                        web.id));
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ContainerStoreTest, InvalidNameIsUsageErrorAndCreatesNothing) {
  const std::string before = snapshot();
  for (const std::string name : {"a", "-x", "has space", "with/slash", "../up"}) {
    const Error e = error_of([&] { std::ignore = make(name); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << name;
    EXPECT_NE(e.message().find("Invalid container name (" + name + ")"), std::string::npos);
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ContainerStoreTest, StaleNameLinkIsReclaimed) {
  const ContainerRecord old = make("web");
  remove_tree(old.dir); // the container vanished without its name being released
  const ContainerRecord fresh = make("web");
  EXPECT_NE(fresh.id, old.id);
  EXPECT_EQ(store_.resolve("web").id, fresh.id);
}

TEST_F(ContainerStoreTest, RemoveDeletesDirectoryThenName) {
  const ContainerRecord web = make("web");
  const ContainerRecord db = make("db");
  store_.remove(web);
  EXPECT_FALSE(exists(web.dir));
  EXPECT_FALSE(exists(store_.dir() + "/names/web"));
  EXPECT_TRUE(exists(store_.dir() + "/names/db"));
  EXPECT_FALSE(store_.try_resolve("web").has_value());
  EXPECT_EQ(store_.list().size(), 1U);
  store_.remove(web); // already gone: fine
  EXPECT_EQ(make("web").name, "web");
  EXPECT_EQ(entries(store_.dir()).size(), 3U); // two containers and names/, no .rm-*
}

TEST_F(ContainerStoreTest, RemoveLeavesANameReclaimedByAnother) {
  const ContainerRecord old = make("web");
  remove_tree(old.dir);
  const ContainerRecord fresh = make("web");
  store_.remove(old); // must not unlink the new owner's name
  EXPECT_EQ(store_.resolve("web").id, fresh.id);
}

TEST_F(ContainerStoreTest, UpdateStateRoundTrip) {
  const ContainerRecord web = make("web");
  const auto me = ProcessIdentity::of(::getpid());
  ASSERT_TRUE(me.has_value());
  const ContainerState written = store_.update_state(web.id, [&](ContainerState& s) {
    s.status = ContainerStatus::running;
    s.process = *me;
    s.monitor = *me;
    s.exit_code = 7;
    s.error = "some \"quoted\" error";
    s.started_at = "2024-01-02T03:04:05.123456789Z";
    s.oom_killed = true;
  });
  const ContainerState read = store_.load(web.id).state;
  EXPECT_EQ(read.status, ContainerStatus::running);
  EXPECT_EQ(read.process.pid, me->pid);
  EXPECT_EQ(read.process.start_time, me->start_time);
  EXPECT_EQ(read.monitor.boot_id, me->boot_id);
  EXPECT_EQ(read.exit_code, 7);
  EXPECT_EQ(read.error, written.error);
  EXPECT_EQ(read.started_at, "2024-01-02T03:04:05.123456789Z");
  EXPECT_EQ(read.finished_at, k_zero_time);
  EXPECT_TRUE(read.oom_killed);
  EXPECT_TRUE(read.effective().is_running()); // this test process is its live monitor
  for (const ContainerStatus status : {ContainerStatus::created, ContainerStatus::paused,
                                       ContainerStatus::exited, ContainerStatus::dead}) {
    std::ignore = store_.update_state(web.id, [&](ContainerState& s) { s.status = status; });
    EXPECT_EQ(store_.read_state(web.id).status, status) << status_name(status);
  }
}

TEST(ProcessIdentity, DetectsExitReuseAndReboot) {
  const auto me = ProcessIdentity::of(::getpid());
  ASSERT_TRUE(me.has_value());
  EXPECT_TRUE(me->alive());
  ProcessIdentity reused = *me;
  reused.start_time += 1; // same PID, another process
  EXPECT_FALSE(reused.alive());
  ProcessIdentity rebooted = *me;
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_FALSE(rebooted.alive());
  EXPECT_FALSE(ProcessIdentity{}.alive());
}

// A monitor that was alive when recorded and has since exited and been reaped.
ProcessIdentity dead_monitor() {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = test_support::start_child([&] {
    ::close(fds[1]); // so the parent's close is EOF
    char c;
    return static_cast<int>(::read(fds[0], &c, 1));
  });
  const auto identity = ProcessIdentity::of(pid);
  EXPECT_TRUE(identity && identity->alive());
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(test_support::exit_code_of(pid), 0);
  return identity.value_or(ProcessIdentity{pid, 1, "x"});
}

TEST(ContainerState, EffectiveReportsDeadMonitorAsExited255) {
  const ProcessIdentity monitor = dead_monitor();
  EXPECT_FALSE(monitor.alive());
  for (const ContainerStatus status : {ContainerStatus::running, ContainerStatus::paused}) {
    ContainerState stored;
    stored.status = status;
    stored.monitor = monitor;
    stored.process = monitor;
    stored.started_at = "2024-01-02T03:04:05.5Z";
    stored.finished_at = k_zero_time;
    const ContainerState seen = stored.effective();
    EXPECT_EQ(seen.status, ContainerStatus::exited);
    EXPECT_FALSE(seen.is_running());
    EXPECT_EQ(seen.exit_code, 255);
    EXPECT_EQ(seen.error, "the container's monitor process died");
    EXPECT_EQ(seen.process.pid, 0);
    EXPECT_EQ(seen.finished_at, "2024-01-02T03:04:05.5Z");
  }
  ContainerState exited;
  exited.status = ContainerStatus::exited;
  exited.exit_code = 3;
  exited.monitor = monitor;
  EXPECT_EQ(exited.effective().exit_code, 3); // only a "running" state is reinterpreted
  EXPECT_EQ(exited.effective().status, ContainerStatus::exited);
}

TEST_F(ContainerStoreTest, UsedChainsAndUsersOf) {
  const std::string image_a = "sha256:" + std::string(64, 'a');
  const std::string image_b = "sha256:" + std::string(64, 'b');
  const ContainerRecord one = make("one", image_a, {digest_of('1'), digest_of('2')});
  const ContainerRecord two = make("two", image_b, {digest_of('1'), digest_of('3')});
  const ContainerRecord three = make("three", image_a, {digest_of('1'), digest_of('2')});
  auto chains = store_.used_chains();
  std::sort(chains.begin(), chains.end(),
            [](const Digest& x, const Digest& y) { return x.str() < y.str(); });
  chains.erase(std::unique(chains.begin(), chains.end()), chains.end());
  EXPECT_EQ(chains, (std::vector<Digest>{digest_of('1'), digest_of('2'), digest_of('3')}));
  std::set<std::string> users;
  for (const auto& record : store_.users_of(image_a)) {
    users.insert(record.name);
  }
  EXPECT_EQ(users, (std::set<std::string>{"one", "three"}));
  EXPECT_TRUE(store_.users_of("sha256:" + std::string(64, 'c')).empty());
  store_.remove(two);
  EXPECT_EQ(store_.used_chains().size(), 4U);
}

TEST_F(ContainerStoreTest, RemoveStaleSweepsDeadCreationsAndNames) {
  const ContainerRecord live = make("live");
  const std::string dead = store_.dir() + "/.new-" + std::string(64, 'd');
  const std::string busy = store_.dir() + "/.new-" + std::string(64, 'e');
  const std::string removing = store_.dir() + "/.rm-" + std::string(64, 'f');
  for (const std::string& d : {dead, busy, removing}) {
    ASSERT_EQ(::mkdir(d.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((d + "/upper").c_str(), 0700), 0);
  }
  std::ofstream(dead + "/lock") << "";
  const FileLock creating(busy + "/lock", LockMode::exclusive); // a creation still running
  ASSERT_EQ(::symlink(std::string(64, 'e').c_str(), (store_.dir() + "/names/busy").c_str()), 0);
  ASSERT_EQ(::symlink(std::string(64, '9').c_str(), (store_.dir() + "/names/gone").c_str()), 0);
  ASSERT_EQ(::symlink("garbage", (store_.dir() + "/names/junk").c_str()), 0);
  // What is under a minute old may be a creation between its steps: kept.
  const std::string young = store_.dir() + "/.new-" + std::string(64, 'a');
  ASSERT_EQ(::mkdir(young.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(std::string(64, '8').c_str(), (store_.dir() + "/names/fresh").c_str()), 0);
  const auto age = [](const std::string& path) { // two minutes ago, the link itself
    const timespec old{::time(nullptr) - 120, 0};
    const timespec times[2] = {old, old};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  };
  for (const std::string& path : {dead, busy, store_.dir() + "/names/busy",
                                  store_.dir() + "/names/gone", store_.dir() + "/names/junk"}) {
    age(path);
  }
  store_.remove_stale();
  EXPECT_FALSE(exists(dead));
  EXPECT_FALSE(exists(removing));
  EXPECT_TRUE(exists(busy));
  EXPECT_TRUE(exists(young));
  EXPECT_EQ(entries(store_.dir() + "/names"), (std::vector<std::string>{"busy", "fresh", "live"}));
  EXPECT_EQ(store_.resolve("live").id, live.id);
}

// Many creators racing for one name: the symlink claim lets exactly one win, and the losers
// leave nothing behind. Repeated, since a race shows only sometimes.
TEST_F(ContainerStoreTest, ConcurrentCreatesOfOneNameHaveOneWinner) {
  constexpr int k_threads = 8;
  for (int round = 0; round < 60; ++round) {
    const std::string name = fmt::format("race{}", round);
    std::atomic<int> ready{0};
    std::atomic<int> won{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
      threads.emplace_back([&] {
        ContainerStore own(dir_.path()); // as separate processes would
        ++ready;
        while (ready.load() < k_threads) {
        }
        try {
          std::ignore = own.create({name,
                                    "sha256:" + std::string(64, 'a'),
                                    {},
                                    [](const std::string&, const std::string&) { return "{}"; }});
          ++won;
        } catch (const Error& e) {
          if (e.kind() == ErrorKind::conflict) {
            ++conflicts;
          }
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_EQ(won.load(), 1) << name;
    EXPECT_EQ(conflicts.load(), k_threads - 1) << name;
    EXPECT_EQ(store_.list().size(), static_cast<std::size_t>(round + 1));
  }
  for (const auto& e : entries(store_.dir())) {
    EXPECT_FALSE(e.starts_with(".")) << e; // no .new-* or .claim-* left
  }
  for (const auto& e : entries(store_.dir() + "/names")) {
    EXPECT_FALSE(e.starts_with(".")) << e;
  }
}

} // namespace
} // namespace strata::store
