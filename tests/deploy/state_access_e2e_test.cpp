// The state under readers: `layered list` and `invoke` neither wait for a
// deploy holding the write lock nor need to write, so they work beside a long
// deploy and on a read-only state directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "e2e.hpp"

namespace {

using namespace layered_e2e;

// Another process holding the state's write lock with an uncommitted change,
// as a long deploy does: the sqlite3 CLI reading statements from a pipe. It is
// waited for, so its exit (which removes the WAL) ends before the test's
// directory is removed.
class LongWrite {
 public:
  explicit LongWrite(const fs::path& dir) : dir_(dir) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const std::string db = (dir / ".layered/state.db").string();
    const std::string out = (dir / "writer.out").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[0], STDIN_FILENO);
      int log = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::execlp("sqlite3", "sqlite3", db.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    fd_ = fds[1];
    say("BEGIN IMMEDIATE; DELETE FROM ssm_parameters; DELETE FROM functions;\n");
  }
  ~LongWrite() {
    say("ROLLBACK;\n");
    ::close(fd_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  LongWrite(const LongWrite&) = delete;
  LongWrite& operator=(const LongWrite&) = delete;
  // True once the lock is really held (another writer is refused at once).
  bool holding() const {
    const std::string probe = "sqlite3 '" + (dir_ / ".layered/state.db").string() +
                              "' 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1";
    for (int i = 0; i < 100; ++i) {
      if (std::system(probe.c_str()) != 0) return true;
      ::usleep(50 * 1000);
    }
    return false;
  }

 private:
  void say(const std::string& sql) { EXPECT_EQ(::write(fd_, sql.data(), sql.size()), ssize_t(sql.size())); }
  fs::path dir_;
  int fd_ = -1;
  pid_t pid_ = -1;
};

TEST_F(DeployE2E, ReadersDoNotWaitForALongDeploy) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Json before = list();
  ASSERT_EQ(before["functions"].size(), 1u);
  LongWrite writer(dir_);
  ASSERT_TRUE(writer.holding());
  const auto start = std::chrono::steady_clock::now();
  Invocation listed = layered("list --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(Json::parse(listed.out), before);  // the last committed state
  Invocation invoked = layered("invoke Lambda-layers-example/NoSuchFunction");
  EXPECT_EQ(invoked.exit_code, 1);
  EXPECT_TRUE(contains(invoked.err, "function 'Lambda-layers-example/NoSuchFunction' not found"))
      << invoked.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  Invocation deploy = layered("deploy --all --no-doctor");  // writers still take turns
  EXPECT_NE(deploy.exit_code, 0);
  EXPECT_TRUE(contains(deploy.err, "database is locked")) << deploy.err;
}

// A state directory the reader cannot write: mounted read-only in a mount
// namespace of its own (chmod would not stop root, as CI runs).
TEST_F(DeployE2E, ReadersWorkOnAReadOnlyStateDirectory) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Json before = list();
  const std::string unshare = ::geteuid() == 0 ? "unshare -m" : "unshare -rm";
  if (std::system((unshare + " true >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "cannot create a mount namespace here";
  }
  auto read_only = [&](const std::string& args) {
    std::string inner = "mount -o bind,ro .layered .layered && ! touch .layered/probe 2>/dev/null && '" +
                        std::string(LAYERED_BIN) + "' " + args;
    std::string cmd =
        "cd '" + dir_.string() + "' && " + unshare + " sh -c \"" + inner + "\" >out.txt 2>err.txt </dev/null";
    int status = std::system(cmd.c_str());
    return Invocation{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "out.txt"),
                      slurp(dir_ / "err.txt")};
  };
  Invocation listed = read_only("list --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(Json::parse(listed.out), before);
  Invocation invoked = read_only("invoke Lambda-layers-example/NoSuchFunction");
  EXPECT_TRUE(contains(invoked.err, "function 'Lambda-layers-example/NoSuchFunction' not found"))
      << invoked.err;
  EXPECT_FALSE(fs::exists(dir_ / ".layered/probe"));
}

}  // namespace
